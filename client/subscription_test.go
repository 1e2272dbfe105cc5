package client

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/apogeemq/apogee/internal/javahash"
	"github.com/apogeemq/apogee/remoting"
)

func TestParseExpression(t *testing.T) {
	for _, tc := range []struct {
		expr     string
		wantExpr string
		tags     []string
	}{
		{"", "*", nil},
		{"*", "*", nil},
		{"  * ", "*", nil},
		{"||", "*", nil},
		{"TagA", "TagA", []string{"TagA"}},
		{"TagA || TagB", "TagA || TagB", []string{"TagA", "TagB"}},
		{" TagB||TagA ||TagB ", " TagB||TagA ||TagB ", []string{"TagB", "TagA"}},
		{"a||||b", "a||||b", []string{"a", "b"}},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			s, err := parseExpression(tc.expr)
			require.NoError(t, err)
			assert.Equal(t, tc.wantExpr, s.expr)
			assert.Equal(t, tc.tags, s.tags)
			assert.Equal(t, tc.tags == nil, s.all())
			for i, tag := range tc.tags {
				assert.Equal(t, javahash.String(tag), s.codes[i])
				assert.True(t, s.matches(tag))
			}
			assert.Equal(t, tc.tags == nil, s.matches("Other"))
			assert.Equal(t, tc.tags == nil, s.matches(""))
		})
	}
}

func TestParseExpressionBoundsTags(t *testing.T) {
	tags := make([]string, remoting.MaxSubscriptionTags+1)
	for i := range tags {
		tags[i] = "t" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i)
	}
	_, err := parseExpression(strings.Join(tags[:remoting.MaxSubscriptionTags], "||"))
	require.NoError(t, err)
	_, err = parseExpression(strings.Join(tags, "||"))
	require.ErrorIs(t, err, ErrInvalidArgument)
}

func TestSubscriptionData(t *testing.T) {
	s, err := parseExpression("A || B")
	require.NoError(t, err)
	assert.Equal(t, remoting.SubscriptionData{
		Topic: "T", SubString: "A || B", TagsSet: []string{"A", "B"},
		CodeSet: []int32{javahash.String("A"), javahash.String("B")}, SubVersion: 42, ExpressionType: "TAG",
	}, s.data("T", 42))
}
