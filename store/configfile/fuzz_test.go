package configfile

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzRoundTrip is the property every parser must hold: any input either
// fails with one of the package's errors or parses to a value that
// marshals, parses back to the same value, and marshals to the same bytes.
func fuzzRoundTrip[T any](t *testing.T, data []byte, parse func([]byte) (*T, error), marshal func(*T) ([]byte, error)) {
	doc, err := parse(data)
	if err != nil {
		known := errors.Is(err, ErrSyntax) || errors.Is(err, ErrSchema) ||
			errors.Is(err, ErrTooDeep) || errors.Is(err, ErrTooLarge)
		require.True(t, known, "unexpected error kind: %v", err)
		return
	}
	out, err := marshal(doc)
	require.NoError(t, err)
	again, err := parse(out)
	require.NoError(t, err, "written text:\n%s", out)
	require.Equal(t, doc, again)
	out2, err := marshal(again)
	require.NoError(t, err)
	require.Equal(t, string(out), string(out2))
}

func addSeeds(f *testing.F, samples ...string) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	for _, g := range garbage {
		f.Add([]byte(g.in))
	}
}

func FuzzParseTopics(f *testing.F) {
	addSeeds(f, topics4x, topics5x,
		`{"topicConfigTable":{"A":{"x":[1,{"2":3}],"attributes":{"k":"v"}}}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, ParseTopics, MarshalTopics)
	})
}

func FuzzParseConsumerOffsets(f *testing.F) {
	addSeeds(f, consumerOffset4x, consumerOffset5x,
		`{"offsetTable":{"0":{-1:3,"2":4},"a@b":{}}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, ParseConsumerOffsets, MarshalConsumerOffsets)
	})
}

func FuzzParseSubscriptionGroups(f *testing.F) {
	addSeeds(f, subscriptionGroup4x, subscriptionGroup5x,
		`{"forbiddenTable":{"g":{"t":1}},"subscriptionGroupTable":{"g":{"Extra":null}}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, ParseSubscriptionGroups, MarshalSubscriptionGroups)
	})
}

func FuzzParseDelayOffsets(f *testing.F) {
	addSeeds(f, delayOffset4x, delayOffset5x, `{"offsetTable":{"1":2,3:4}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRoundTrip(t, data, ParseDelayOffsets, MarshalDelayOffsets)
	})
}
