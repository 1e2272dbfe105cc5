package remoting

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLanguageTable(t *testing.T) {
	tests := []struct {
		code byte
		name string
	}{
		{0, "JAVA"}, {1, "CPP"}, {2, "DOTNET"}, {3, "PYTHON"}, {4, "DELPHI"}, {5, "ERLANG"}, {6, "RUBY"},
		{7, "OTHER"}, {8, "HTTP"}, {9, "GO"}, {10, "PHP"}, {11, "OMS"}, {12, "RUST"}, {13, "NODE_JS"},
	}
	for _, tt := range tests {
		name, ok := LanguageName(tt.code)
		assert.True(t, ok)
		assert.Equal(t, tt.name, name)
		code, ok := LanguageCode(tt.name)
		assert.True(t, ok)
		assert.Equal(t, tt.code, code)
	}
	_, ok := LanguageName(14)
	assert.False(t, ok)
	_, ok = LanguageCode("go")
	assert.False(t, ok, "names are case-sensitive, as Java's enum")
	code, ok := LanguageCode(Language)
	assert.True(t, ok)
	assert.Equal(t, byte(9), code)
}
