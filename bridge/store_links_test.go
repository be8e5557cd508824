package bridge

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func suiteChannelLinks(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	if loc, ok, err := s.ChannelLocation(ctx, "ch1"); loc != "" || ok || err != nil {
		t.Errorf("ChannelLocation of an unlinked channel = %q, %v, %v", loc, ok, err)
	}
	if chs, err := s.LocationChannels(ctx, "L1"); chs != nil || err != nil {
		t.Errorf("LocationChannels of an unlinked location = %v, %v", chs, err)
	}
	for _, l := range [][2]string{{"ch2", "L1"}, {"ch1", "L1"}, {"ch3", "L10"}, {"ch4", "L2"}} {
		if prev, err := s.LinkChannel(ctx, l[0], l[1]); prev != "" || err != nil {
			t.Errorf("LinkChannel(%s, %s) = %q, %v", l[0], l[1], prev, err)
		}
	}
	// L1 is a prefix of L10: its channels are not L1's.
	if chs, _ := s.LocationChannels(ctx, "L1"); fmt.Sprint(chs) != "[ch1 ch2]" {
		t.Errorf("LocationChannels(L1) = %v", chs)
	}
	if loc, ok, err := s.ChannelLocation(ctx, "ch3"); loc != "L10" || !ok || err != nil {
		t.Errorf("ChannelLocation(ch3) = %q, %v, %v", loc, ok, err)
	}
	// Linking again to the same location changes nothing.
	if prev, err := s.LinkChannel(ctx, "ch1", "L1"); prev != "L1" || err != nil {
		t.Errorf("LinkChannel again = %q, %v", prev, err)
	}
	// Relinking moves the channel: it leaves its earlier location.
	if prev, err := s.LinkChannel(ctx, "ch1", "L2"); prev != "L1" || err != nil {
		t.Errorf("relink = %q, %v", prev, err)
	}
	if chs, _ := s.LocationChannels(ctx, "L1"); fmt.Sprint(chs) != "[ch2]" {
		t.Errorf("L1 after relink = %v", chs)
	}
	if chs, _ := s.LocationChannels(ctx, "L2"); fmt.Sprint(chs) != "[ch1 ch4]" {
		t.Errorf("L2 after relink = %v", chs)
	}
	if prev, err := s.UnlinkChannel(ctx, "ch1"); prev != "L2" || err != nil {
		t.Errorf("UnlinkChannel = %q, %v", prev, err)
	}
	if prev, err := s.UnlinkChannel(ctx, "ch1"); prev != "" || err != nil {
		t.Errorf("second UnlinkChannel = %q, %v", prev, err)
	}
	if _, ok, _ := s.ChannelLocation(ctx, "ch1"); ok {
		t.Error("ch1 still linked after UnlinkChannel")
	}
	if chs, _ := s.LocationChannels(ctx, "L2"); fmt.Sprint(chs) != "[ch4]" {
		t.Errorf("L2 after unlink = %v", chs)
	}
	for _, bad := range [][2]string{{"", "L1"}, {"ch", ""}, {"c\x00h", "L1"}, {"ch", "L\x001"}} {
		if _, err := s.LinkChannel(ctx, bad[0], bad[1]); err == nil {
			t.Errorf("LinkChannel(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if _, err := s.UnlinkChannel(ctx, ""); err == nil {
		t.Error("UnlinkChannel(\"\") accepted")
	}
	if _, ok, _ := s.ChannelLocation(ctx, "c\x00h"); ok {
		t.Error("a refused link was stored")
	}
}

// suiteChannelLinksRace links one channel to several locations at once:
// the links serialise, each replacing exactly the one before, and the
// channel ends in one location's list only.
func suiteChannelLinksRace(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, nil)
	const n = 8
	prevs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := s.LinkChannel(ctx, "ch", fmt.Sprint("L", i))
			if err != nil {
				t.Error(err)
			}
			prevs[i] = p
		})
	}
	wg.Wait()
	final, ok, err := s.ChannelLocation(ctx, "ch")
	if !ok || err != nil {
		t.Fatalf("ChannelLocation = %q, %v, %v", final, ok, err)
	}
	// The previous links seen are "" and every location but the last, once each.
	want := []string{""}
	for i := range n {
		if l := fmt.Sprint("L", i); l != final {
			want = append(want, l)
		}
	}
	slices.Sort(prevs)
	if fmt.Sprint(prevs) != fmt.Sprint(want) {
		t.Errorf("previous links = %q, want %q", prevs, want)
	}
	for i := range n {
		l := fmt.Sprint("L", i)
		chs, _ := s.LocationChannels(ctx, l)
		if want := l == final; (len(chs) == 1) != want || len(chs) > 1 {
			t.Errorf("LocationChannels(%s) = %v (final %s)", l, chs, final)
		}
	}
}

// BenchmarkLocationChannels finds the channels of one location among 10
// and 1,000 linked locations (two channels each), side by side: the cost
// stays flat, as routing a location's events needs.
func BenchmarkLocationChannels(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprint("locations=", n), func(b *testing.B) {
			s, err := OpenBoltStore(b.TempDir()+"/state.db", nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			for i := range n {
				for c := range 2 {
					if _, err := s.LinkChannel(ctx, fmt.Sprintf("ch%04d-%d", i, c), fmt.Sprintf("loc%04d", i)); err != nil {
						b.Fatal(err)
					}
				}
			}
			loc := fmt.Sprintf("loc%04d", n/2)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				chs, err := s.LocationChannels(ctx, loc)
				if err != nil || len(chs) != 2 {
					b.Fatalf("LocationChannels = %v, %v", chs, err)
				}
			}
		})
	}
}
