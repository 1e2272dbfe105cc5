package client

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apogeemq/apogee/internal/javahash"
	"github.com/apogeemq/apogee/remoting"
)

// subAll is the expression that selects every message.
const subAll = "*"

// subscription is a parsed TAG expression: "*" (or empty) for everything,
// else tags joined by "||".
type subscription struct {
	expr  string   // normalized: "*" or the expression as given
	tags  []string // distinct tags in expression order; nil for everything
	codes []int32  // Java String.hashCode of each tag
	set   map[string]bool
}

// parseExpression parses a TAG expression, bounding its tags by
// remoting.MaxSubscriptionTags.
func parseExpression(expr string) (subscription, error) {
	trimmed := strings.TrimSpace(expr)
	if trimmed == "" || trimmed == subAll {
		return subscription{expr: subAll}, nil
	}
	s := subscription{expr: expr, set: map[string]bool{}}
	for t := range strings.SplitSeq(trimmed, "||") {
		t = strings.TrimSpace(t)
		if t == "" || s.set[t] {
			continue
		}
		if len(s.tags) == remoting.MaxSubscriptionTags {
			return subscription{}, fmt.Errorf("%w: expression %.64q has more than %d tags", ErrInvalidArgument, expr, remoting.MaxSubscriptionTags)
		}
		s.set[t] = true
		s.tags = append(s.tags, t)
		s.codes = append(s.codes, javahash.String(t))
	}
	if len(s.tags) == 0 {
		return subscription{expr: subAll}, nil
	}
	return s, nil
}

// all reports whether the expression selects every message.
func (s *subscription) all() bool { return s.tags == nil }

// matches reports whether a message with tag passes the expression.
func (s *subscription) matches(tag string) bool {
	return s.all() || s.set[tag]
}

// data returns the heartbeat's subscription entry for topic at version.
func (s *subscription) data(topic string, versionNs int64) remoting.SubscriptionData {
	return remoting.SubscriptionData{
		Topic:          topic,
		SubString:      s.expr,
		TagsSet:        slices.Clone(s.tags),
		CodeSet:        slices.Clone(s.codes),
		SubVersion:     versionNs,
		ExpressionType: remoting.ExpressionTypeTag,
	}
}
