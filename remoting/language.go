package remoting

// languageNames maps RocketMQ's LanguageCode bytes to their names, indexed
// by code (apache/rocketmq LanguageCode.java).
var languageNames = [...]string{
	0:  "JAVA",
	1:  "CPP",
	2:  "DOTNET",
	3:  "PYTHON",
	4:  "DELPHI",
	5:  "ERLANG",
	6:  "RUBY",
	7:  "OTHER",
	8:  "HTTP",
	9:  "GO",
	10: "PHP",
	11: "OMS",
	12: "RUST",
	13: "NODE_JS",
}

// languageOther is the code written for a language name the table lacks and
// the name read for a code it lacks.
const languageOther byte = 7

// LanguageName returns the name of a RocketMQ language code byte, and false
// when the code is unknown.
func LanguageName(code byte) (string, bool) {
	if int(code) < len(languageNames) {
		return languageNames[code], true
	}
	return "", false
}

// LanguageCode returns the RocketMQ language code byte of a language name
// ("GO" -> 9), and false when the name is unknown.
func LanguageCode(name string) (byte, bool) {
	for code, n := range languageNames {
		if n == name {
			return byte(code), true
		}
	}
	return 0, false
}
