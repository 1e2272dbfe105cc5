package configfile

import "errors"

// MaxDocumentBytes bounds the size of a document read or written. The largest
// of these files in practice, consumerOffset.json of a broker with tens of
// thousands of (topic, group) pairs, is a few MiB; 64 MiB leaves room for
// growth while bounding the memory a load can take.
const MaxDocumentBytes = 64 << 20

// MaxNestingDepth bounds how deeply objects and arrays may nest. The known
// documents nest at most five levels (document, table, entry, attributes or
// retry policy, value); 64 leaves room for unknown fields while keeping the
// recursion of encoding/json shallow.
const MaxNestingDepth = 64

// Sentinel errors; match them with errors.Is.
var (
	// ErrSyntax reports input that is neither JSON nor fastjson's form of it.
	ErrSyntax = errors.New("configfile: syntax error")
	// ErrTooLarge reports a document longer than MaxDocumentBytes.
	ErrTooLarge = errors.New("configfile: document too large")
	// ErrTooDeep reports nesting deeper than MaxNestingDepth.
	ErrTooDeep = errors.New("configfile: nesting too deep")
	// ErrSchema reports well-formed input whose value has the wrong type or
	// is out of range for its field, or a value that cannot be written.
	ErrSchema = errors.New("configfile: invalid document")
	// ErrNoValidCopy reports that neither a file nor its .bak sibling holds
	// a usable document while at least one of them is present but corrupt.
	ErrNoValidCopy = errors.New("configfile: no valid copy")
)
