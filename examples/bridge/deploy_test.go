package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ghlkit/ghl/bridge"
)

// isBridgeVariable reports whether name is read by bridge.ConfigFromEnv.
func isBridgeVariable(name string) bool {
	return len(bridge.VariablesSet(func(k string) string {
		if k == name {
			return "x"
		}
		return ""
	})) == 1
}

// TestDeployKubernetes parses deploy/kubernetes.yaml and checks what an
// operator relies on: probes on /healthz and /readyz, a drain longer than
// the bridge's, the state volume at BRIDGE_DATA, and only variables the
// bridge reads.
func TestDeployKubernetes(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/kubernetes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type envVar struct{ Name, Value string }
	type probe struct {
		HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
	}
	type doc struct {
		Kind       string
		StringData map[string]string `yaml:"stringData"`
		Spec       struct {
			Replicas int
			Strategy struct{ Type string }
			Template struct {
				Spec struct {
					TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
					Containers                    []struct {
						Env            []envVar
						LivenessProbe  probe `yaml:"livenessProbe"`
						ReadinessProbe probe `yaml:"readinessProbe"`
						Ports          []struct {
							Name          string
							ContainerPort int `yaml:"containerPort"`
						}
						VolumeMounts []struct {
							Name      string
							MountPath string `yaml:"mountPath"`
						} `yaml:"volumeMounts"`
					}
					Volumes []struct {
						Name                  string
						PersistentVolumeClaim struct {
							ClaimName string `yaml:"claimName"`
						} `yaml:"persistentVolumeClaim"`
					}
				}
			}
		}
		Metadata struct{ Name string }
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	kinds := map[string]doc{}
	for {
		var d doc
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("kubernetes.yaml: %v", err)
		}
		kinds[d.Kind] = d
	}
	for _, k := range []string{"Secret", "PersistentVolumeClaim", "Deployment", "Service"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	for name := range kinds["Secret"].StringData {
		if !isBridgeVariable(name) {
			t.Errorf("the Secret sets %s, which the bridge does not read", name)
		}
	}
	dep := kinds["Deployment"].Spec
	if dep.Replicas != 1 || dep.Strategy.Type != "Recreate" {
		t.Errorf("a bbolt file needs one replica and Recreate: %d %s", dep.Replicas, dep.Strategy.Type)
	}
	pod := dep.Template.Spec
	if pod.TerminationGracePeriodSeconds <= 30 {
		t.Errorf("terminationGracePeriodSeconds %d is not longer than the 30 s drain", pod.TerminationGracePeriodSeconds)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.LivenessProbe.HTTPGet.Path != bridge.PathHealth || c.ReadinessProbe.HTTPGet.Path != bridge.PathReady {
		t.Errorf("probes: %+v %+v", c.LivenessProbe, c.ReadinessProbe)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		if !isBridgeVariable(e.Name) {
			t.Errorf("env %s is not a bridge variable", e.Name)
		}
		env[e.Name] = e.Value
	}
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if env[bridge.EnvAddr] != ":"+strconv.Itoa(ports["http"]) || env[bridge.EnvMetricsAddr] != ":"+strconv.Itoa(ports["metrics"]) {
		t.Errorf("addresses %q %q vs ports %v", env[bridge.EnvAddr], env[bridge.EnvMetricsAddr], ports)
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != path.Dir(env[bridge.EnvData]) {
		t.Errorf("the state volume is not where BRIDGE_DATA (%s) is: %+v", env[bridge.EnvData], c.VolumeMounts)
	}
	if len(pod.Volumes) != 1 || pod.Volumes[0].PersistentVolumeClaim.ClaimName != kinds["PersistentVolumeClaim"].Metadata.Name {
		t.Errorf("volumes: %+v", pod.Volumes)
	}
}

// TestDeploySystemd checks deploy/ghlkit-bridge.service's sections and the
// keys the bridge relies on, and deploy/env.example's names.
func TestDeploySystemd(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../deploy/ghlkit-bridge.service")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sections := map[string]map[string][]string{}
	var cur string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = line[1 : len(line)-1]
			sections[cur] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || cur == "" || k == "" || strings.ContainsAny(k, " \t") {
				t.Fatalf("line %d is not key=value in a section: %q", n, line)
			}
			sections[cur][k] = append(sections[cur][k], v)
		}
	}
	for _, s := range []string{"Unit", "Service", "Install"} {
		if sections[s] == nil {
			t.Errorf("no [%s]", s)
		}
	}
	svc := sections["Service"]
	for k, want := range map[string]string{"KillSignal": "SIGTERM", "StateDirectory": "ghlkit-bridge", "RestartPreventExitStatus": "2", "EnvironmentFile": "/etc/ghlkit-bridge/env"} {
		if !slices.Contains(svc[k], want) {
			t.Errorf("%s = %v, want %s", k, svc[k], want)
		}
	}
	if len(svc["ExecStart"]) != 1 {
		t.Errorf("ExecStart: %v", svc["ExecStart"])
	}
	if stop, _ := strconv.Atoi(svc["TimeoutStopSec"][0]); stop <= 30 {
		t.Errorf("TimeoutStopSec %d is not longer than the 30 s drain", stop)
	}
	for _, e := range svc["Environment"] {
		name, value, _ := strings.Cut(e, "=")
		if !isBridgeVariable(name) {
			t.Errorf("Environment %s is not a bridge variable", name)
		}
		if name == bridge.EnvData && !strings.HasPrefix(value, "/var/lib/ghlkit-bridge/") {
			t.Errorf("BRIDGE_DATA %s is outside the StateDirectory", value)
		}
	}

	raw, err := os.ReadFile("../../deploy/env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, _, ok := strings.Cut(line, "="); !ok || !isBridgeVariable(name) {
			t.Errorf("env.example: %q is not a bridge variable", line)
		}
	}
}
