//! The example of Alibaba Cloud's RPC signature documentation (Alibaba Cloud DNS,
//! `DescribeDomainRecords` of `example.com` with AccessKey `testid` / `testsecret`).

use super::*;
use crate::dns::providers::signing::canonical_query;

#[test]
fn the_documented_example() {
    let query = canonical_query(&[
        ("Format", "XML"),
        ("AccessKeyId", "testid"),
        ("Action", "DescribeDomainRecords"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("DomainName", "example.com"),
        ("SignatureNonce", "f59ed6a9-83fc-473b-9cc6-99c95df3856e"),
        ("SignatureVersion", "1.0"),
        ("Version", "2015-01-09"),
        ("Timestamp", "2016-03-24T16:41:54Z"),
    ]);
    let to_sign = string_to_sign("GET", &query);
    assert_eq!(
        to_sign,
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDomainRecords%26DomainName%3Dexample.com\
         %26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Df59ed6a9-83fc-473b-9cc6-\
         99c95df3856e%26SignatureVersion%3D1.0%26Timestamp%3D2016-03-24T16%253A41%253A54Z%26Version\
         %3D2015-01-09"
    );
    assert_eq!(
        signature("testsecret", &to_sign),
        "uRpHwaSEt3J+6KQD//svCh/x+pI="
    );
    assert_ne!(signature("other", &to_sign), "uRpHwaSEt3J+6KQD//svCh/x+pI=");
}
