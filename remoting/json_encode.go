package remoting

import (
	"strconv"
	"unicode/utf8"
)

// hexDigits spells the \u00XX escapes of control characters.
const hexDigits = "0123456789abcdef"

// appendJSONHeader appends c's JSON header to dst: compact, members in the
// order code, language, version, opaque, flag, remark (when not empty),
// extFields (when not empty, keys sorted, every value a string). It cannot
// fail: every Command has a JSON form.
func appendJSONHeader(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(c.Code), 10)
	dst = append(dst, `,"language":`...)
	dst = AppendJSONString(dst, c.Language)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	dst = append(dst, `,"opaque":`...)
	dst = strconv.AppendInt(dst, int64(c.Opaque), 10)
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(c.Flag), 10)
	if c.Remark != "" {
		dst = append(dst, `,"remark":`...)
		dst = AppendJSONString(dst, c.Remark)
	}
	if len(c.ExtFields) > 0 {
		dst = append(dst, `,"extFields":{`...)
		var keyBuf [sortedKeysOnStack]string
		for i, k := range sortedKeys(c.ExtFields, keyBuf[:0]) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, k)
			dst = append(dst, ':')
			dst = AppendJSONString(dst, c.ExtFields[k])
		}
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// AppendJSONString appends s as a JSON string: \" \\ \n \r \t, \u00XX for the
// other control characters, U+FFFD (escaped) for bytes that are not valid
// UTF-8, everything else as it is (no HTML escaping, as fastjson writes).
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending, to be copied verbatim
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
