package sim

import (
	"github.com/apogeemq/apogee/broker"
	"github.com/apogeemq/apogee/ha"
	"github.com/apogeemq/apogee/store"
)

// bugs are the planted bugs a run can switch on, each one a mistake the
// checkers must catch: two of the store's, one of package ha's and one of
// the broker's promotion.
var bugs = []string{store.BugAckBeforeFlush, store.BugReuseQueueOffset, ha.BugTrustSlaveOffset, broker.BugPromoteWithoutTruncation}

// Bugs lists the planted bugs' names.
func Bugs() []string { return append([]string(nil), bugs...) }

// KnownBug reports whether name is a planted bug.
func KnownBug(name string) bool {
	for _, b := range bugs {
		if b == name {
			return true
		}
	}
	return false
}
