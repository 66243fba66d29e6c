# acmers' helper library for acme.sh plugins (docs/plugins.md).
#
# POSIX sh, written for acmers from the documented behaviour of acme.sh's functions of the same
# names (plugins call them; acme.sh itself is not needed). Everything that does HTTP, crypto,
# encodings or writes a conf file calls back into acmers (`acmers --acmers-plugin-helper OP`),
# so neither curl nor openssl is needed, and acmers' TLS trust, time limits, body cap and
# atomic 0600 conf writes apply. Secrets (URLs, header values, keys, conf values) reach the
# helper through its environment or stdin, never its command line (which `ps` shows).
#
# Set by acmers' runner: ACMERS_PLUGIN_HELPER (the acmers executable), ACMERS_PLUGIN_ERRORS
# (the file collecting _err lines), LE_WORKING_DIR, LE_CONFIG_HOME, ACCOUNT_CONF_PATH,
# DOMAIN_CONF (when there is a domain), HTTP_HEADER (a private file per call), DEBUG,
# NO_TIMESTAMP. Names of the library's own variables and functions start with `__acmers`.

DEBUG_LEVEL_NONE=0
DEBUG_LEVEL_1=1
DEBUG_LEVEL_2=2
DEBUG_LEVEL_3=3
DEBUG_LEVEL_DEFAULT=2
B64CONF_START="__ACME_BASE64__START_"
B64CONF_END="__ACME_BASE64__END_"
HIDDEN_VALUE="[hidden](please add '--output-insecure' to see this value)"

# Colours only on a terminal (decided once, as acme.sh does), unless forced.
__acmers_tty=""
if [ -t 1 ]; then
  __acmers_tty=1
fi

########  Messages  ########

# `text`, or `name='value'` when a value is given.
__acmers_text() {
  if [ -z "$2" ]; then
    printf '%s\n' "$1"
  else
    printf "%s='%s'\n" "$1" "$2"
  fi
}

# One message line, `[date] ` first unless NO_TIMESTAMP is set (and not 0). Keeps the exit
# status the caller had.
__acmers_line() {
  __acmers_status=$?
  if [ "${NO_TIMESTAMP:-0}" = 0 ]; then
    printf '[%s] ' "$(date)"
  fi
  __acmers_text "$@"
  return "$__acmers_status"
}

_info() {
  __acmers_line "$@"
}

# On stderr, and into the runner's error file: these lines become acmers' error message.
_err() {
  __acmers_line "$@" >&2
  if [ "$ACMERS_PLUGIN_ERRORS" ]; then
    __acmers_text "$@" >>"$ACMERS_PLUGIN_ERRORS"
  fi
  return 1
}

# acme.sh's _log writes to its log file only; here the line goes to acmers' debug log.
_log() {
  __acmers_line "$@" >&2
}

__acmers_debug_at() {
  __acmers_level=$1
  shift
  if [ "${DEBUG:-0}" -ge "$__acmers_level" ] 2>/dev/null; then
    __acmers_line "$@" >&2
  fi
  return 0
}

_debug() {
  __acmers_debug_at 1 "$@"
}

_debug2() {
  __acmers_debug_at 2 "$@"
}

_debug3() {
  __acmers_debug_at 3 "$@"
}

# The value is shown only with OUTPUT_INSECURE=1 (acme.sh's --output-insecure).
__acmers_secure_at() {
  if [ "${OUTPUT_INSECURE:-0}" = 1 ]; then
    __acmers_debug_at "$@"
  else
    __acmers_debug_at "$1" "$2" "$HIDDEN_VALUE"
  fi
}

_secure_debug() {
  __acmers_secure_at 1 "$@"
}

_secure_debug2() {
  __acmers_secure_at 2 "$@"
}

_secure_debug3() {
  __acmers_secure_at 3 "$@"
}

__acmers_colour() {
  if [ "${__acmers_tty}${ACME_NO_COLOR:-0}" = 10 ] || [ "$ACME_FORCE_COLOR" = 1 ]; then
    printf '\033[1;%sm%b\033[0m' "$1" "$2"
  else
    printf -- '%b' "$2"
  fi
}

__green() {
  __acmers_colour 32 "$1"
}

__red() {
  __acmers_colour 31 "$1"
}

_usage() {
  __red "$*" >&2
  printf '\n' >&2
}

########  The callback into acmers  ########

# Run `acmers --acmers-plugin-helper "$@"` with stdin and stdout passed through. The secret
# argument of an operation goes in __acmers_value (reset after each call), the extra request
# headers in _H1.._H5. Whatever the helper prints on stderr is its error: it becomes an _err
# line. Returns the helper's exit status.
__acmers() {
  {
    __acmers_msg="$(ACMERS_VALUE="$__acmers_value" _H1="$_H1" _H2="$_H2" _H3="$_H3" _H4="$_H4" _H5="$_H5" \
      "$ACMERS_PLUGIN_HELPER" --acmers-plugin-helper "$@" 2>&1 1>&3 3>&-)"
    __acmers_ret=$?
  } 3>&1
  __acmers_value=""
  if [ "$__acmers_msg" ]; then
    _err "$__acmers_msg"
  fi
  return "$__acmers_ret"
}

########  HTTP  ########

# _get url [onlyheader] [timeout]: the body on stdout (with onlyheader: a HEAD request, its
# headers on stdout); the response headers in $HTTP_HEADER. Non-zero only when no response
# came (a curl-style code: 7 no connection, 28 timeout, 47 redirects, 63 body too large).
# acmers' own connect timeout applies; the third argument is accepted and ignored.
_get() {
  _debug GET
  _debug url "${1%%\?*}"
  __acmers_value="$1"
  if [ "$2" ]; then
    __acmers http HEAD "$HTTP_HEADER" "" nobody
  else
    __acmers http GET "$HTTP_HEADER" "" nobody
  fi
}

# _post body url [needbase64] [METHOD] [content-type]: as _get, with a method (POST when
# empty) and a body (sent when not empty; without a content type it is sent as
# application/x-www-form-urlencoded, as curl's --data does). With needbase64 the response
# body is printed in base64. Trailing newlines of the response are dropped, as acme.sh's
# `response="$(…)"` does; $response holds the printed text.
_post() {
  _debug "${4:-POST}" "${2%%\?*}"
  _secure_debug2 body "$1"
  __acmers_value="$2"
  if [ "$1" ]; then
    response="$(printf '%s' "$1" | __acmers http "${4:-POST}" "$HTTP_HEADER" "$5" body ${3:+base64})"
  else
    response="$(__acmers http "${4:-POST}" "$HTTP_HEADER" "$5" nobody ${3:+base64})"
  fi
  __acmers_ret=$?
  __acmers_value=""
  printf '%s' "$response"
  return "$__acmers_ret"
}

# Nothing is cached between requests, and $HTTP_HEADER is made by the runner.
_resethttp() {
  :
}

_inithttp() {
  :
}

########  Conf files (parsed as data by acmers, written atomically, 0600, under a lock)  ########

__acmers_read_conf() {
  if [ -f "$1" ]; then
    __acmers conf-get "$1" "$2"
  else
    _debug "Config file is empty, cannot read $2"
  fi
}

# file key value [base64encode]
__acmers_save_conf() {
  if [ -z "$1" ]; then
    _err "Config file is empty, cannot save $2"
    return 1
  fi
  __acmers_value="$3"
  __acmers conf-set "$1" "$2" ${4:+base64}
}

__acmers_clear_conf() {
  if [ -z "$1" ]; then
    _err "Config file is empty, cannot clear $2"
    return 1
  fi
  __acmers conf-clear "$1" "$2"
}

_readaccountconf() {
  __acmers_read_conf "$ACCOUNT_CONF_PATH" "$1"
}

_saveaccountconf() {
  __acmers_save_conf "$ACCOUNT_CONF_PATH" "$@"
}

_clearaccountconf() {
  __acmers_clear_conf "$ACCOUNT_CONF_PATH" "$1"
}

# SAVED_<key> only: plugins put the environment first themselves (`X="${X:-$(_readacc…)}"`).
_readaccountconf_mutable() {
  _readaccountconf "SAVED_$1"
}

# Writes SAVED_<key> and removes a legacy plain <key> line.
_saveaccountconf_mutable() {
  __acmers_save_conf "$ACCOUNT_CONF_PATH" "SAVED_$1" "$2" "$3" && _clearaccountconf "$1"
}

_clearaccountconf_mutable() {
  _clearaccountconf "SAVED_$1" && _clearaccountconf "$1"
}

_readdomainconf() {
  __acmers_read_conf "$DOMAIN_CONF" "$1"
}

_savedomainconf() {
  __acmers_save_conf "$DOMAIN_CONF" "$@"
}

_cleardomainconf() {
  __acmers_clear_conf "$DOMAIN_CONF" "$1"
}

# _migratedomainconf old new [base64encode]: the value of `old` moved to `new` in one locked
# edit; `old` is removed in any case. Fails (quietly) when `old` was empty or `new` already
# had a value.
_migratedomainconf() {
  if [ -z "$DOMAIN_CONF" ]; then
    _err "Config file is empty, cannot migrate $1"
    return 1
  fi
  [ "$(__acmers conf-move "$DOMAIN_CONF" "$1" "$2" ${3:+base64})" = moved ]
}

########  Deploy hooks' settings (SAVED_<name> in the domain conf)  ########

# _getdeployconf name: the variable as set (one pair of surrounding double quotes removed), else
# SAVED_<name> from the domain conf; exported either way.
_getdeployconf() {
  case "$1" in
  '' | [0-9]* | *[!A-Za-z0-9_]*)
    _usage "Usage: _getdeployconf name"
    return 1
    ;;
  esac
  eval "__acmers_dv=\"\${$1}\""
  if [ "$__acmers_dv" ]; then
    case "$__acmers_dv" in
    \"*\")
      __acmers_dv="${__acmers_dv#\"}"
      __acmers_dv="${__acmers_dv%\"}"
      ;;
    esac
  else
    __acmers_dv="$(_readdomainconf "SAVED_$1")"
  fi
  eval "$1=\"\$__acmers_dv\""
  export "$1"
  __acmers_dv=""
}

# _savedeployconf name value [base64encode]: SAVED_<name> in the domain conf, and a legacy
# plain <name> line removed.
_savedeployconf() {
  _savedomainconf "SAVED_$1" "$2" "$3" && _cleardomainconf "$1"
}

# _migratedeployconf old new [base64encode]: a value saved under `old` (plain or SAVED_) moved
# to SAVED_<new>.
_migratedeployconf() {
  _migratedomainconf "$1" "SAVED_$2" "$3" || _migratedomainconf "SAVED_$1" "SAVED_$2" "$3"
}

########  Strings  ########

# _contains / _startswith / _endswith str sub: `sub` is a basic regular expression, as in
# acme.sh (which greps).
_contains() {
  printf '%s\n' "$1" | grep -- "$2" >/dev/null 2>&1
}

_startswith() {
  printf '%s\n' "$1" | grep -- "^$2" >/dev/null 2>&1
}

_endswith() {
  printf '%s\n' "$1" | grep -- "$2\$" >/dev/null 2>&1
}

# stdin: every match of the extended regular expression, one per line.
_egrep_o() {
  grep -E -o -- "$1" 2>/dev/null
}

_lower_case() {
  LC_ALL=C tr '[:upper:]' '[:lower:]'
}

_upper_case() {
  LC_ALL=C tr '[:lower:]' '[:upper:]'
}

_head_n() {
  head -n "$1"
}

_tail_n() {
  tail -n "$1"
}

# _math 1 + 2: shell arithmetic over the arguments.
_math() {
  printf '%s' "$(($*))"
}

# _getfield str index [sep]: field `index` (from 1, separator `,` by default); an empty field
# gives the nearest non-empty one before it, and the whole string when there is none.
_getfield() {
  if [ -z "$2" ]; then
    _usage "Usage: str field  [sep]"
    return 1
  fi
  __acmers_index=$2
  while [ "$__acmers_index" -gt 0 ]; do
    __acmers_field="$(printf '%s\n' "$1" | cut -d "${3:-,}" -f "$__acmers_index")"
    if [ "$__acmers_field" ]; then
      printf '%s' "$__acmers_field"
      return 0
    fi
    __acmers_index=$((__acmers_index - 1))
  done
  printf '%s' "$1"
}

_exists() {
  if [ -z "$1" ]; then
    _usage "Usage: _exists cmd"
    return 1
  fi
  command -v "$1" >/dev/null 2>&1
}

# stdin JSON on one line, without blanks around `:` before a string, object or array, nor at
# the start of lines.
_normalizeJson() {
  sed -e 's/" *: *\(["{[]\)/":\1/g' -e 's/^ *//' | tr -d '\r\n'
}

# stdin as the inside of a JSON string (`\`, `"` and control characters escaped); trailing
# newlines are dropped and `\n` is appended, as acme.sh's does (a PEM file ends with `\n`).
_json_encode() {
  __acmers json-encode
}

# stdin with `\/` turned into `/`, plus a newline.
_json_decode() {
  printf '%s\n' "$(sed 's#\\/#/#g')"
}

# stdin percent-encoded (all but A-Z a-z 0-9 - _ . ~), lower-case hex unless `upper-hex`.
_url_encode() {
  __acmers urlencode "$1"
}

# stdin base64 -> base64url without padding.
_url_replace() {
  tr '/+' '_-' | tr -d '= '
}

# stdin as " 61 62 63".
_hex_dump() {
  __acmers hex
}

_ascii_hex() {
  printf '%s' "$1" | __acmers hex
}

# stdin hex (blanks ignored) -> bytes.
_h2b() {
  __acmers h2b
}

# stdin -> base64 on one line, or in 64-character lines with any argument.
_base64() {
  __acmers base64 ${1:+multiline}
}

# stdin base64 (one line or several) -> bytes.
_dbase64() {
  __acmers dbase64
}

# _digest alg [hex]: stdin's digest in base64, or in hex. sha1, sha256, sha384, sha512,
# sha3-256 by acmers; md5 by the system's md5sum.
_digest() {
  if [ -z "$1" ]; then
    _usage "Usage: _digest hashalg"
    return 1
  fi
  if [ "$1" = md5 ]; then
    if ! _exists md5sum; then
      _err "md5 is not supported without md5sum"
      return 1
    fi
    if [ "$2" ]; then
      md5sum | cut -d ' ' -f 1
    else
      md5sum | cut -d ' ' -f 1 | _h2b | _base64
    fi
    return
  fi
  __acmers digest "$1" ${2:+hex}
}

# _hmac alg hexkey [hex]: stdin's HMAC, raw bytes or hex. sha1, sha256, sha384, sha512.
_hmac() {
  if [ -z "$2" ]; then
    _usage "Usage: _hmac hashalg secret [outputhex]"
    return 1
  fi
  __acmers_value="$2"
  __acmers hmac "$1" ${3:+hex}
}

# _idn name[,name…]: internationalized names in punycode (A-labels); others unchanged.
_idn() {
  case "$1" in
  *[!0-9a-zA-Z.,_*-]*)
    __acmers idn "$1"
    ;;
  *)
    printf '%s' "$1"
    ;;
  esac
}

########  Keys and certificates  ########

# _isEccKey length: whether a key length (Le_Keylength) is not an RSA size.
_isEccKey() {
  case "$1" in
  '' | 1024 | 2048 | 3072 | 4096 | 8192)
    return 1
    ;;
  esac
  return 0
}

# _toPkcs pfx key cert ca [password] [name] [caname]: a PKCS#12 file by the user's openssl
# (ACME_OPENSSL_BIN, else `openssl` on PATH); on success the password is saved as
# Le_PFXPassword. The password (empty when not given) reaches openssl through its environment,
# not its command line.
_toPkcs() {
  __acmers_pfx_pass="$5" "${ACME_OPENSSL_BIN:-openssl}" pkcs12 -export -out "$1" -inkey "$2" \
    -in "$3" -certfile "$4" -password env:__acmers_pfx_pass ${6:+-name "$6"} ${7:+-caname "$7"} &&
    _savedomainconf Le_PFXPassword "$5" base64
}

########  System  ########

_sleep() {
  sleep "$1"
}

_time() {
  date -u "+%s"
}

_utc_date() {
  date -u "+%Y-%m-%d %H:%M:%S"
}

_mktemp() {
  if mktemp 2>/dev/null; then
    return 0
  fi
  _err "Cannot create temp file."
  return 1
}

_sed_i() {
  if [ -z "$2" ]; then
    _usage "Usage:_sed_i options filename"
    return 1
  fi
  sed -i "$1" "$2"
}

_stat() {
  stat -c '%U:%G' "$1" 2>/dev/null || stat -f '%Su:%Sg' "$1" 2>/dev/null
}

########  Running a plugin function  ########

# A conf file's settings as shell variables: acme.sh sources the file; acmers parses it as data
# and the helper quotes every value (the environment wins).
__acmers_conf_vars() {
  if [ -f "$1" ]; then
    __acmers_vars="$(__acmers conf-vars "$1")" || return 1
    eval "$__acmers_vars"
    __acmers_vars=""
  fi
}

# __acmers_main script function args…: account.conf's settings as shell variables, then (when
# the runner asks, ACMERS_PLUGIN_DOMAIN_VARS) the domain conf's, as acme.sh's deploy sources
# it; USER_PATH (saved in account.conf) before PATH, as acme.sh does under cron; then the
# plugin sourced and its function called.
__acmers_main() {
  __acmers_script=$1
  __acmers_function=$2
  shift 2
  __acmers_conf_vars "$ACCOUNT_CONF_PATH" || return 1
  if [ "$DOMAIN_CONF" ]; then
    DOMAIN_PATH="${DOMAIN_CONF%/*}"
    DOMAIN_BACKUP_PATH="$DOMAIN_PATH/backup"
    if [ "$ACMERS_PLUGIN_DOMAIN_VARS" ]; then
      __acmers_conf_vars "$DOMAIN_CONF" || return 1
    fi
  fi
  unset ACMERS_PLUGIN_DOMAIN_VARS
  if [ "$USER_PATH" ]; then
    PATH="$USER_PATH:$PATH"
    export PATH
  fi
  if ! . "$__acmers_script"; then
    _err "Error loading file $__acmers_script. Please check your API file and try again."
    return 1
  fi
  if ! _exists "$__acmers_function"; then
    # acme.sh's words: dnsapi's, then those of _deploy and _send_notify.
    case "$__acmers_function" in
    dns_*) __acmers_how="incorrect" ;;
    *) __acmers_how="not correct" ;;
    esac
    _err "It seems that your API file is $__acmers_how. Make sure it has a function named: $__acmers_function"
    return 1
  fi
  "$__acmers_function" "$@"
}
