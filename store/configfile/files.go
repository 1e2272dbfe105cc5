package configfile

import (
	"fmt"
	"path/filepath"

	"github.com/apogeemq/apogee/env"
)

// Names of the documents and of their directory under the store root.
const (
	// ConfigDir is the directory of the documents below the store root.
	ConfigDir = "config"
	// TopicsFile holds a TopicConfigTable.
	TopicsFile = "topics.json"
	// ConsumerOffsetFile holds a ConsumerOffsetTable.
	ConsumerOffsetFile = "consumerOffset.json"
	// SubscriptionGroupFile holds a SubscriptionGroupTable.
	SubscriptionGroupFile = "subscriptionGroup.json"
	// DelayOffsetFile holds a DelayOffsetTable.
	DelayOffsetFile = "delayOffset.json"
)

// FilePath returns the path of a document, <storeRoot>/config/<fileName>.
func FilePath(storeRoot, fileName string) string {
	return filepath.Join(storeRoot, ConfigDir, fileName)
}

// loadTyped runs Load with a typed parser and turns SourceNone into an empty
// document.
func loadTyped[T any](fs env.FS, path string, parse func([]byte) (*T, error), empty func() *T) (*T, Source, error) {
	var doc *T
	_, src, err := Load(fs, path, func(data []byte) error {
		var err error
		doc, err = parse(data)
		return err
	})
	if err != nil {
		return nil, src, err
	}
	if src == SourceNone {
		doc = empty()
	}
	return doc, src, nil
}

// saveTyped marshals a document and stores it.
func saveTyped[T any](fs env.FS, path string, doc *T, marshal func(*T) ([]byte, error)) error {
	data, err := marshal(doc)
	if err != nil {
		return fmt.Errorf("configfile: store %s: %w", path, err)
	}
	return Store(fs, path, data)
}

// LoadTopics loads topics.json from path (see Load); with SourceNone it
// returns an empty table.
func LoadTopics(fs env.FS, path string) (*TopicConfigTable, Source, error) {
	return loadTyped(fs, path, ParseTopics, NewTopicConfigTable)
}

// SaveTopics stores t at path (see Store).
func SaveTopics(fs env.FS, path string, t *TopicConfigTable) error {
	return saveTyped(fs, path, t, MarshalTopics)
}

// LoadConsumerOffsets loads consumerOffset.json from path (see Load); with
// SourceNone it returns an empty table.
func LoadConsumerOffsets(fs env.FS, path string) (*ConsumerOffsetTable, Source, error) {
	return loadTyped(fs, path, ParseConsumerOffsets, NewConsumerOffsetTable)
}

// SaveConsumerOffsets stores t at path (see Store).
func SaveConsumerOffsets(fs env.FS, path string, t *ConsumerOffsetTable) error {
	return saveTyped(fs, path, t, MarshalConsumerOffsets)
}

// LoadSubscriptionGroups loads subscriptionGroup.json from path (see Load);
// with SourceNone it returns an empty table.
func LoadSubscriptionGroups(fs env.FS, path string) (*SubscriptionGroupTable, Source, error) {
	return loadTyped(fs, path, ParseSubscriptionGroups, NewSubscriptionGroupTable)
}

// SaveSubscriptionGroups stores t at path (see Store).
func SaveSubscriptionGroups(fs env.FS, path string, t *SubscriptionGroupTable) error {
	return saveTyped(fs, path, t, MarshalSubscriptionGroups)
}

// LoadDelayOffsets loads delayOffset.json from path (see Load); with
// SourceNone it returns an empty table.
func LoadDelayOffsets(fs env.FS, path string) (*DelayOffsetTable, Source, error) {
	return loadTyped(fs, path, ParseDelayOffsets, NewDelayOffsetTable)
}

// SaveDelayOffsets stores t at path (see Store).
func SaveDelayOffsets(fs env.FS, path string, t *DelayOffsetTable) error {
	return saveTyped(fs, path, t, MarshalDelayOffsets)
}
