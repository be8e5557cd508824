package bridge

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestConfigAdminsAndChannels(t *testing.T) {
	t.Parallel()
	env := validEnv()
	env[EnvAdmins] = " @alice , bob.smith,, abcdefghijklmnopqrstuvwxy1 "
	env[EnvChannels] = "abcdefghijklmnopqrstuvwxy2,abcdefghijklmnopqrstuvwxy3"
	cfg, err := ConfigFromEnv(getenv(env))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alice", "bob.smith", "abcdefghijklmnopqrstuvwxy1"}; !slices.Equal(cfg.Admins, want) {
		t.Errorf("Admins = %q, want %q", cfg.Admins, want)
	}
	if want := []string{"abcdefghijklmnopqrstuvwxy2", "abcdefghijklmnopqrstuvwxy3"}; !slices.Equal(cfg.Channels, want) {
		t.Errorf("Channels = %q, want %q", cfg.Channels, want)
	}
	if s := cfg.String(); !strings.Contains(s, "bridge_admins=3") || !strings.Contains(s, "bridge_channels=2") {
		t.Errorf("String() = %s", s)
	}

	env[EnvAdmins] = "Not A User!"
	env[EnvChannels] = "town-square"
	_, err = ConfigFromEnv(getenv(env))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v", err)
	}
	text := strings.Join(ce.Problems, "\n")
	for _, want := range []string{EnvAdmins + `: "Not A User!" is neither`, EnvChannels + `: "town-square" is not a Mattermost channel ID`} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
}
