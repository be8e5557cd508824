package bridge

import (
	"context"
	"errors"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Buckets of the channel links: bLinks maps a channel to its location,
// bLocChannels indexes them by location (locationID, 0, channelID →
// nothing) so that routing a location's event reads only its own links.
var (
	bLinks       = []byte("channel_links")
	bLocChannels = []byte("location_channels")
	linkBuckets  = [][]byte{bLinks, bLocChannels}
)

// checkLinkIDs refuses IDs a link cannot hold: empty, or with a NUL byte
// (the index's separator; PostgreSQL's text refuses it too).
func checkLinkIDs(ids ...string) error {
	for _, id := range ids {
		if id == "" || strings.ContainsRune(id, 0) {
			return errors.New("bridge: channel link: empty ID or ID with a NUL byte")
		}
	}
	return nil
}

func locChannelKey(locationID, channelID string) []byte {
	return []byte(locationID + "\x00" + channelID)
}

// LinkChannel implements Store.
func (s *BoltStore) LinkChannel(ctx context.Context, channelID, locationID string) (string, error) {
	if err := checkLinkIDs(channelID, locationID); err != nil {
		return "", err
	}
	var previous string
	err := s.update(ctx, func(tx *bolt.Tx) error {
		links, idx := tx.Bucket(bLinks), tx.Bucket(bLocChannels)
		previous = string(links.Get([]byte(channelID)))
		if previous == locationID {
			return nil
		}
		if previous != "" {
			if err := idx.Delete(locChannelKey(previous, channelID)); err != nil {
				return err
			}
		}
		if err := idx.Put(locChannelKey(locationID, channelID), nil); err != nil {
			return err
		}
		return links.Put([]byte(channelID), []byte(locationID))
	})
	if err != nil {
		return "", err
	}
	return previous, nil
}

// UnlinkChannel implements Store.
func (s *BoltStore) UnlinkChannel(ctx context.Context, channelID string) (string, error) {
	if err := checkLinkIDs(channelID); err != nil {
		return "", err
	}
	var previous string
	err := s.update(ctx, func(tx *bolt.Tx) error {
		links := tx.Bucket(bLinks)
		previous = string(links.Get([]byte(channelID)))
		if previous == "" {
			return nil
		}
		if err := tx.Bucket(bLocChannels).Delete(locChannelKey(previous, channelID)); err != nil {
			return err
		}
		return links.Delete([]byte(channelID))
	})
	if err != nil {
		return "", err
	}
	return previous, nil
}

// ChannelLocation implements Store.
func (s *BoltStore) ChannelLocation(ctx context.Context, channelID string) (string, bool, error) {
	var loc string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		loc = string(tx.Bucket(bLinks).Get([]byte(channelID)))
		return nil
	})
	return loc, loc != "" && err == nil, err
}

// LocationChannels implements Store.
func (s *BoltStore) LocationChannels(ctx context.Context, locationID string) ([]string, error) {
	var out []string
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = keysAfter(tx.Bucket(bLocChannels), locationID)
		return nil
	})
	return out, err
}
