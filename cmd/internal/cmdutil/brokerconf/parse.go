package brokerconf

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/apogeemq/apogee/cmd/internal/cmdutil"
)

// MaxFileBytes bounds a broker.conf file: RocketMQ's fullest example is a
// few kilobytes, and a huge file is a mistake, not a configuration.
const MaxFileBytes = 1 << 20

// WarningKind says why a key was not applied.
type WarningKind int

const (
	// Ignored marks a key RocketMQ knows that Apogee does not apply.
	Ignored WarningKind = iota + 1
	// Unknown marks a key neither RocketMQ nor Apogee knows (often a typo).
	Unknown
)

// Warning is a key of a file that was not applied.
type Warning struct {
	Key  string
	Kind WarningKind
}

// String describes the warning in one line naming the key.
func (w Warning) String() string {
	if w.Kind == Ignored {
		return fmt.Sprintf("key %q ignored: a RocketMQ setting Apogee does not use", w.Key)
	}
	return fmt.Sprintf("unknown key %q ignored", w.Key)
}

// byName finds a key by any of its spellings.
var byName = func() map[string]*key {
	m := make(map[string]*key)
	for i := range keys {
		k := &keys[i]
		for _, n := range append([]string{k.name}, k.aliases...) {
			if m[n] != nil || ignoredKeys[n] {
				panic("brokerconf: key " + n + " listed twice")
			}
			m[n] = k
		}
	}
	return m
}()

// Set applies one key (any accepted spelling) to c. The value is trimmed
// of surrounding white space first. It returns an error matching
// ErrUnknownKey for a key Apogee does not apply, and one matching ErrConfig
// for a bad value, naming the key and the value.
func (c *Config) Set(name, value string) error {
	k := byName[name]
	if k == nil {
		return fmt.Errorf("%w %q", ErrUnknownKey, name)
	}
	return k.set(c, name, strings.TrimSpace(value))
}

// Parse applies a broker.conf document (Java properties) over cfg. Keys
// are applied in the order they first appear; a key given twice keeps its
// last value, as in Java. Keys not applied come back as warnings sorted by
// key. Every error matches ErrConfig and names the key and the value;
// Parse does not call Validate.
func Parse(data []byte, cfg Config) (Config, []Warning, error) {
	if len(data) > MaxFileBytes {
		return cfg, nil, fmt.Errorf("%w: %d bytes, at most %d", ErrConfig, len(data), MaxFileBytes)
	}
	props, err := cmdutil.ParseProperties(data)
	if err != nil {
		return cfg, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var warnings []Warning
	spelled := make(map[*key]cmdutil.Property) // the first spelling of each key
	for _, p := range props {
		value := strings.TrimSpace(p.Value)
		k := byName[p.Key]
		if k == nil {
			if check := ignoredChecks[p.Key]; check != nil {
				if err := check(p.Key, value); err != nil {
					return cfg, nil, err
				}
			}
			kind := Unknown
			if ignoredKeys[p.Key] {
				kind = Ignored
			}
			warnings = append(warnings, Warning{Key: p.Key, Kind: kind})
			continue
		}
		if first, ok := spelled[k]; ok {
			if strings.TrimSpace(first.Value) != value {
				return cfg, nil, fmt.Errorf("%w: %s=%q and %s=%q set the same thing differently",
					ErrConfig, first.Key, first.Value, p.Key, p.Value)
			}
			continue
		}
		spelled[k] = p
		if err := k.set(&cfg, p.Key, value); err != nil {
			return cfg, nil, err
		}
	}
	sort.Slice(warnings, func(i, j int) bool { return warnings[i].Key < warnings[j].Key })
	return cfg, warnings, nil
}

// Properties returns every effective setting under its canonical key, as
// a file that Parse reads back into the same configuration.
func (c Config) Properties() map[string]string {
	m := make(map[string]string, len(keys))
	for i := range keys {
		m[keys[i].name] = keys[i].get(&c)
	}
	return m
}

// Print writes every effective setting as key=value lines sorted by key
// (mqbroker -p).
func (c Config) Print(w io.Writer) error {
	return cmdutil.WriteProperties(w, c.Properties())
}

// PrintImportant writes the settings that identify the broker and where it
// keeps its data, sorted by key (mqbroker -m): brokerClusterName,
// brokerName, brokerId, brokerRole, brokerIP1, flushDiskType, listenPort,
// namesrvAddr and storePathRootDir.
func (c Config) PrintImportant(w io.Writer) error {
	m := make(map[string]string)
	for i := range keys {
		if keys[i].important {
			m[keys[i].name] = keys[i].get(&c)
		}
	}
	return cmdutil.WriteProperties(w, m)
}
