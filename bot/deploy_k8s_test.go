package bot

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"

	"github.com/convertalk/inboxbot/commands"
	"github.com/convertalk/inboxbot/commands/schedule"
)

// The deploy files (deploy/k8s, deploy/compose.yaml, the Dockerfile, the
// systemd unit, the Slack manifest, the example RULES_FILE, the Prometheus
// rules and .ci/run's build) held to the code: each test reads the files
// as their tools do (YAML documents, Dockerfile instructions, unit
// settings) and compares them with what the bot reads, serves and calls.

// yamlDoc is one YAML document, decoded.
type yamlDoc = map[string]any

// readYAMLDocs reads every document of a YAML file (--- separated).
func readYAMLDocs(t *testing.T, path string) []yamlDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return decodeYAMLDocs(t, path, data)
}

func decodeYAMLDocs(t *testing.T, name string, data []byte) []yamlDoc {
	t.Helper()
	var docs []yamlDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var d yamlDoc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML document", name)
	}
	return docs
}

// dig walks maps (string keys) and lists (int indexes); nil when a step is
// missing.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func digString(v any, path ...any) string {
	s, _ := dig(v, path...).(string)
	return s
}

func digList(v any, path ...any) []any {
	l, _ := dig(v, path...).([]any)
	return l
}

func digMap(v any, path ...any) map[string]any {
	m, _ := dig(v, path...).(map[string]any)
	return m
}

// k8sObject is one object of deploy/k8s, with the file it is in.
type k8sObject struct {
	file string
	doc  yamlDoc
}

func (o k8sObject) kind() string { return digString(o.doc, "kind") }
func (o k8sObject) name() string { return digString(o.doc, "metadata", "name") }

// k8sObjects reads every object of the files kustomization.yaml lists as
// resources, plus the ConfigMaps it generates (as kustomize would, without
// the hash suffix).
func k8sObjects(t *testing.T) []k8sObject {
	t.Helper()
	kust := readYAMLDocs(t, "../deploy/k8s/kustomization.yaml")[0]
	var objs []k8sObject
	for _, r := range digList(kust, "resources") {
		file, _ := r.(string)
		for _, d := range readYAMLDocs(t, filepath.Join("../deploy/k8s", file)) {
			objs = append(objs, k8sObject{file, d})
		}
	}
	for _, g := range digList(kust, "configMapGenerator") {
		data := map[string]any{}
		for _, f := range digList(g, "files") {
			spec, _ := f.(string)
			key, file, ok := strings.Cut(spec, "=")
			if !ok {
				key, file = filepath.Base(spec), spec
			}
			b, err := os.ReadFile(filepath.Join("../deploy/k8s", file))
			if err != nil {
				t.Fatal(err)
			}
			data[key] = string(b)
		}
		objs = append(objs, k8sObject{"kustomization.yaml", yamlDoc{
			"apiVersion": "v1", "kind": "ConfigMap", "generated": true,
			"metadata": map[string]any{"name": digString(g, "name")}, "data": data,
		}})
	}
	return objs
}

func findObject(t *testing.T, objs []k8sObject, kind, name string) k8sObject {
	t.Helper()
	for _, o := range objs {
		if o.kind() == kind && o.name() == name {
			return o
		}
	}
	t.Fatalf("deploy/k8s has no %s %q", kind, name)
	return k8sObject{}
}

// TestKustomizationIsTheWholeInstall: `kubectl apply -k deploy/k8s`
// applies every file of deploy/k8s (each listed once, as a resource or a
// generator's input) and nothing that is missing; every object is
// well-formed; the rules mounted in Kubernetes are the example RULES_FILE.
// With kubectl installed, kustomize itself renders the directory.
func TestKustomizationIsTheWholeInstall(t *testing.T) {
	kust := readYAMLDocs(t, "../deploy/k8s/kustomization.yaml")[0]
	listed := map[string]string{}
	add := func(file, how string) {
		if prev, dup := listed[file]; dup {
			t.Errorf("kustomization.yaml lists %s twice (%s and %s)", file, prev, how)
		}
		listed[file] = how
	}
	for _, r := range digList(kust, "resources") {
		add(fmt.Sprint(r), "resources")
	}
	for _, g := range digList(kust, "configMapGenerator") {
		for _, f := range digList(g, "files") {
			spec := fmt.Sprint(f)
			if _, file, ok := strings.Cut(spec, "="); ok {
				spec = file
			}
			add(spec, "configMapGenerator")
		}
	}
	if len(digList(kust, "resources")) == 0 {
		t.Fatal("kustomization.yaml lists no resources")
	}
	entries, err := os.ReadDir("../deploy/k8s")
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "kustomization.yaml" {
			continue
		}
		present[e.Name()] = true
		if _, ok := listed[e.Name()]; !ok {
			t.Errorf("deploy/k8s/%s is not in kustomization.yaml: `kubectl apply -k` leaves it out", e.Name())
		}
	}
	for file := range listed {
		if !present[file] {
			t.Errorf("kustomization.yaml lists %s, which deploy/k8s does not have", file)
		}
	}

	kinds := map[string]int{}
	for _, o := range k8sObjects(t) {
		if digString(o.doc, "apiVersion") == "" || o.kind() == "" || o.name() == "" {
			t.Errorf("%s: an object without apiVersion, kind or metadata.name: %v", o.file, o.doc)
		}
		kinds[o.kind()]++
	}
	for _, kind := range []string{"Deployment", "Secret", "ConfigMap", "PodDisruptionBudget", "StatefulSet", "Service"} {
		if kinds[kind] == 0 {
			t.Errorf("deploy/k8s has no %s", kind)
		}
	}

	example, err := os.ReadFile("../deploy/rules.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mounted, err := os.ReadFile("../deploy/k8s/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(example, mounted) {
		t.Error("deploy/k8s/rules.yaml differs from deploy/rules.example.yaml: copy it (cp deploy/rules.example.yaml deploy/k8s/rules.yaml)")
	}

	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Log("kubectl is not installed: kustomize's own rendering is not checked")
		return
	}
	cmd := exec.Command(kubectl, "kustomize", "../deploy/k8s")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize deploy/k8s: %v\n%s", err, stderr.String())
	}
	rendered := decodeYAMLDocs(t, "kubectl kustomize", out)
	for _, d := range rendered {
		if digString(d, "kind") == "Deployment" {
			vol := ""
			for _, v := range digList(d, "spec", "template", "spec", "volumes") {
				if n := digString(v, "configMap", "name"); strings.HasPrefix(n, "inboxbot-rules") {
					vol = n
				}
			}
			if !regexp.MustCompile(`^inboxbot-rules-[a-z0-9]+$`).MatchString(vol) {
				t.Errorf("the rendered Deployment mounts %q, not the generated (hashed) rules ConfigMap", vol)
			}
		}
		if ns := digString(d, "metadata", "namespace"); digString(d, "kind") != "Namespace" && ns != "inboxbot" {
			t.Errorf("rendered %s %s is in namespace %q", digString(d, "kind"), digString(d, "metadata", "name"), ns)
		}
	}
}

// botDeployment returns the bot's Deployment and its container.
func botDeployment(t *testing.T, objs []k8sObject) (k8sObject, map[string]any) {
	t.Helper()
	dep := findObject(t, objs, "Deployment", "inboxbot")
	containers := digList(dep.doc, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("the inboxbot Deployment has %d containers, want 1", len(containers))
	}
	return dep, containers[0].(map[string]any)
}

// k8sEnv returns the environment the bot's container gets: its envFrom
// ConfigMaps and Secrets and its env, with where each variable comes from.
// Every value must be a string (the API server refuses numbers and
// booleans in ConfigMap data and env values).
func k8sEnv(t *testing.T, objs []k8sObject, container map[string]any) (env map[string]string, from map[string]string) {
	t.Helper()
	env, from = map[string]string{}, map[string]string{}
	set := func(name, value, where string) {
		if prev, dup := from[name]; dup {
			t.Errorf("%s is set twice: in %s and %s", name, prev, where)
		}
		env[name], from[name] = value, where
	}
	fromMap := func(where string, m map[string]any) {
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				t.Errorf("%s: %s is %T %v, not a string: quote it", where, k, v, v)
			}
			set(k, s, where)
		}
	}
	for _, ef := range digList(container, "envFrom") {
		if name := digString(ef, "configMapRef", "name"); name != "" {
			o := findObject(t, objs, "ConfigMap", name)
			fromMap(o.file+" (ConfigMap "+name+")", digMap(o.doc, "data"))
		}
		if name := digString(ef, "secretRef", "name"); name != "" {
			o := findObject(t, objs, "Secret", name)
			fromMap(o.file+" (Secret "+name+")", digMap(o.doc, "stringData"))
			if len(digMap(o.doc, "data")) > 0 {
				t.Errorf("%s: use stringData (readable placeholders), not base64 data", o.file)
			}
		}
	}
	for _, e := range digList(container, "env") {
		v, ok := dig(e, "value").(string)
		if !ok && dig(e, "valueFrom") == nil {
			t.Errorf("deployment.yaml: env %s has value %v, not a string", digString(e, "name"), dig(e, "value"))
		}
		set(digString(e, "name"), v, "deployment.yaml env")
	}
	return env, from
}

// commentedKeys are the commented-out settings of a YAML file
// ("# NAME: value", one word of value: not a sentence of a comment), as an
// operator would switch them on.
var commentedKeys = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*([A-Z][A-Z0-9_]*):[ \t]+\S+[ \t]*$`)

// realTokens stand in for the Secret's placeholders.
var realTokens = map[string]string{
	"SLACK_BOT_TOKEN": "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUv",
	"SLACK_APP_TOKEN": "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f",
	"INBOX_API_TOKEN": "ct_live_8f3a9b2c7d1e4f5a6b7c8d9e",
}

// TestK8sConfigurationLoads: every variable the Kubernetes files set is
// one Config reads, spelled the same (and commented-out ones too); tokens
// are in the Secret only, as marked placeholders that the bot refuses; with
// real tokens in their place, the configuration loads as `run` loads it,
// RULES_FILE being the mounted rules file. Several replicas need a store
// they can share, and STORE_URL names the Redis Service on its port.
func TestK8sConfigurationLoads(t *testing.T) {
	objs := k8sObjects(t)
	dep, container := botDeployment(t, objs)
	env, from := k8sEnv(t, objs, container)
	if len(env) < 5 {
		t.Fatalf("the bot's container gets %d variables: the ConfigMap and Secret were not read", len(env))
	}
	known := configNames()
	for name, where := range from {
		if !slices.Contains(known, name) {
			t.Errorf("%s sets %s, which Config does not read", where, name)
		}
		secret := strings.Contains(where, "(Secret ")
		if token := strings.HasSuffix(name, "_TOKEN"); token != secret {
			t.Errorf("%s is in %s: tokens belong in the Secret, and only tokens (or a STORE_URL with a password)", name, where)
		}
	}
	for _, o := range objs {
		data, err := os.ReadFile(filepath.Join("../deploy/k8s", o.file))
		if err != nil {
			continue // generated
		}
		for _, m := range commentedKeys.FindAllStringSubmatch(string(data), -1) {
			if !slices.Contains(known, m[1]) {
				t.Errorf("%s: the commented-out %s is not a variable Config reads", o.file, m[1])
			}
		}
	}

	// The Secret is placeholders, and the bot says so rather than starting.
	for _, name := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "INBOX_API_TOKEN"} {
		if !strings.Contains(from[name], "(Secret ") {
			t.Errorf("%s does not come from the Secret", name)
		} else if !isPlaceholder(env[name]) {
			t.Errorf("the Secret's %s is %q, not a placeholder the bot refuses", name, env[name])
		}
	}
	secretFile, err := os.ReadFile("../deploy/k8s/secret.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(secretFile), "PLACEHOLDERS") {
		t.Error("secret.yaml does not say, in capitals, that its values are placeholders")
	}
	cfg := loadConfigFrom(t, withRulesFile(t, env, container, objs))
	var ces ConfigErrors
	if err := cfg.RequireSlack(); !errors.As(err, &ces) || len(ces) != 3 {
		t.Errorf("with the Secret's placeholders the bot would start: %v", err)
	}

	filled := withRulesFile(t, env, container, objs)
	for k, v := range realTokens {
		filled[k] = v
	}
	cfg = loadConfigFrom(t, filled)
	if err := cfg.RequireSlack(); err != nil {
		t.Errorf("with real tokens the configuration does not load as `run` does: %v", err)
	}

	replicas, _ := dig(dep.doc, "spec", "replicas").(int)
	u, err := url.Parse(env["STORE_URL"])
	if err != nil {
		t.Fatalf("STORE_URL: %v", err)
	}
	if replicas > 1 && u.Scheme != "redis" && u.Scheme != "rediss" {
		t.Errorf("%d replicas on STORE_URL %s: several replicas need Redis (a bbolt file is one process's)", replicas, u.Scheme)
	}
	if u.Scheme == "redis" {
		svc := findObject(t, objs, "Service", u.Hostname())
		port := u.Port()
		if port == "" {
			port = "6379"
		}
		var ports []string
		for _, p := range digList(svc.doc, "spec", "ports") {
			ports = append(ports, fmt.Sprint(dig(p, "port")))
		}
		if !slices.Contains(ports, port) {
			t.Errorf("STORE_URL's port %s is not a port of Service %s (%v)", port, u.Hostname(), ports)
		}
		selects := digMap(svc.doc, "spec", "selector")
		sts := findObject(t, objs, "StatefulSet", u.Hostname())
		if !labelsMatch(selects, digMap(sts.doc, "spec", "template", "metadata", "labels")) || len(selects) == 0 {
			t.Errorf("Service %s does not select the Redis pods", u.Hostname())
		}
	}
}

// withRulesFile returns env with RULES_FILE pointing at the local file that
// the container's volume mounts there (a ConfigMap generated from a file
// of deploy/k8s), so that loading the configuration reads the real rules.
func withRulesFile(t *testing.T, env map[string]string, container map[string]any, objs []k8sObject) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	path := env["RULES_FILE"]
	if path == "" {
		return out
	}
	dep, _ := botDeployment(t, objs)
	for _, vm := range digList(container, "volumeMounts") {
		dir := digString(vm, "mountPath")
		if filepath.Dir(path) != filepath.Clean(dir) {
			continue
		}
		for _, v := range digList(dep.doc, "spec", "template", "spec", "volumes") {
			if digString(v, "name") != digString(vm, "name") {
				continue
			}
			cm := findObject(t, objs, "ConfigMap", digString(v, "configMap", "name"))
			content, ok := digMap(cm.doc, "data")[filepath.Base(path)].(string)
			if !ok {
				t.Fatalf("RULES_FILE=%s: ConfigMap %s has no key %s", path, cm.name(), filepath.Base(path))
			}
			local := filepath.Join(t.TempDir(), filepath.Base(path))
			if err := os.WriteFile(local, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			out["RULES_FILE"] = local
			return out
		}
	}
	t.Fatalf("RULES_FILE=%s, but no volume of the container is mounted at %s", path, filepath.Dir(path))
	return nil
}

func labelsMatch(selector, labels map[string]any) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// opsPaths are the paths ops.go serves on HTTP_ADDR.
func opsPaths(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("ops.go")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range regexp.MustCompile(`mux\.Handle(?:Func)?\("GET (/[^" ]*)"`).FindAllSubmatch(src, -1) {
		paths = append(paths, string(m[1]))
	}
	if len(paths) < 3 {
		t.Fatalf("ops.go serves %v: the pattern no longer reads its handlers", paths)
	}
	return paths
}

// addrPort is the port of an HTTP_ADDR value.
func addrPort(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("HTTP_ADDR %q: %v", addr, err)
	}
	return port
}

// noteBound is tellUser's timeout: a note to a user (busy, crashed) still
// being posted at shutdown is waited for up to this.
const noteBound = 10 * time.Second

// drainBound is how long the bot may take to stop after SIGTERM, at worst
// (Bot.Run): the digest posts in flight (DrainTimeout), then the commands
// and clicks in flight (DrainTimeout again), the notes to users, then
// closing Socket Mode.
func drainBound() time.Duration {
	var o BotOptions
	o.defaults()
	return 2*o.DrainTimeout + noteBound + socketCloseTimeout
}

// TestK8sWorkloadsAreSafe: the probes ask the paths ops.go serves, on
// HTTP_ADDR's port (readiness /readyz, liveness /healthz: a restart does not
// cure Slack or Redis being down); every container runs as a non-root
// numeric user with a read-only root, no privilege escalation, no
// capabilities and the runtime's seccomp profile, with resources and probes;
// the bot has somewhere to write exports; the rollout never drops below the
// replicas; the grace period covers the bot's drain; the PDB and the
// Service select the bot; Redis persists and never evicts.
func TestK8sWorkloadsAreSafe(t *testing.T) {
	objs := k8sObjects(t)
	dep, container := botDeployment(t, objs)
	env, _ := k8sEnv(t, objs, container)
	addr := env["HTTP_ADDR"]
	if addr == "" {
		addr = httpAddrDefault()
	}
	port := addrPort(t, addr)
	served := opsPaths(t)

	containerPort := func(c map[string]any, ref any) string {
		if n, ok := ref.(int); ok {
			return strconv.Itoa(n)
		}
		for _, p := range digList(c, "ports") {
			if digString(p, "name") == ref {
				return fmt.Sprint(dig(p, "containerPort"))
			}
		}
		return fmt.Sprintf("no port named %v", ref)
	}
	for probe, want := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		path := digString(container, probe, "httpGet", "path")
		if path != want || !slices.Contains(served, path) {
			t.Errorf("%s asks %q; want %s (ops.go serves %v)", probe, path, want, served)
		}
		if got := containerPort(container, dig(container, probe, "httpGet", "port")); got != port {
			t.Errorf("%s asks port %s; HTTP_ADDR %q listens on %s", probe, got, addr, port)
		}
	}
	ann := digMap(dep.doc, "spec", "template", "metadata", "annotations")
	if ann["prometheus.io/port"] != port || !slices.Contains(served, fmt.Sprint(ann["prometheus.io/path"])) {
		t.Errorf("the scrape annotations (%v) do not name HTTP_ADDR's port %s and a served path", ann, port)
	}

	replicas, _ := dig(dep.doc, "spec", "replicas").(int)
	if replicas != 2 {
		t.Errorf("the Deployment runs %d replicas, want 2", replicas)
	}
	if s := dig(dep.doc, "spec", "strategy", "rollingUpdate", "maxUnavailable"); s != 0 {
		t.Errorf("rollingUpdate.maxUnavailable = %v, want 0: a rollout must not drop a serving replica before its successor is ready", s)
	}
	if surge, _ := dig(dep.doc, "spec", "strategy", "rollingUpdate", "maxSurge").(int); replicas+surge > 10 {
		t.Errorf("%d replicas + %d surge exceed Socket Mode's 10 connections per app", replicas, surge)
	}
	grace, _ := dig(dep.doc, "spec", "template", "spec", "terminationGracePeriodSeconds").(int)
	if need := drainBound() + 5*time.Second; time.Duration(grace)*time.Second < need {
		t.Errorf("terminationGracePeriodSeconds = %d; the bot needs up to %s to drain and close (and a margin): at least %d",
			grace, drainBound(), int(need.Seconds()))
	}
	podLabels := digMap(dep.doc, "spec", "template", "metadata", "labels")
	if !labelsMatch(digMap(dep.doc, "spec", "selector", "matchLabels"), podLabels) {
		t.Error("the Deployment's selector does not match its pods")
	}
	pdb := findObject(t, objs, "PodDisruptionBudget", "inboxbot")
	if sel := digMap(pdb.doc, "spec", "selector", "matchLabels"); len(sel) == 0 || !labelsMatch(sel, podLabels) {
		t.Error("the PodDisruptionBudget does not select the bot's pods")
	}
	if keep, _ := dig(pdb.doc, "spec", "minAvailable").(int); keep < 1 || keep >= replicas {
		t.Errorf("PDB minAvailable = %v with %d replicas: a node drain must be able to evict one, and must keep one", dig(pdb.doc, "spec", "minAvailable"), replicas)
	}
	svc := findObject(t, objs, "Service", "inboxbot")
	if sel := digMap(svc.doc, "spec", "selector"); len(sel) == 0 || !labelsMatch(sel, podLabels) {
		t.Error("Service inboxbot does not select the bot's pods")
	}
	for _, p := range digList(svc.doc, "spec", "ports") {
		if got := containerPort(container, dig(p, "targetPort")); got != port {
			t.Errorf("Service inboxbot targets port %s; HTTP_ADDR listens on %s", got, port)
		}
	}

	// Every workload: restricted.
	for _, o := range objs {
		if o.kind() != "Deployment" && o.kind() != "StatefulSet" {
			continue
		}
		pod := digMap(o.doc, "spec", "template", "spec")
		where := o.kind() + " " + o.name()
		if dig(pod, "securityContext", "runAsNonRoot") != true {
			t.Errorf("%s: securityContext.runAsNonRoot is not true", where)
		}
		if uid, _ := dig(pod, "securityContext", "runAsUser").(int); uid <= 0 {
			t.Errorf("%s: runAsUser %v: a numeric non-root user lets the kubelet verify runAsNonRoot (distroless's is the name nonroot)", where, dig(pod, "securityContext", "runAsUser"))
		}
		if digString(pod, "securityContext", "seccompProfile", "type") != "RuntimeDefault" {
			t.Errorf("%s: no seccompProfile RuntimeDefault", where)
		}
		if dig(pod, "automountServiceAccountToken") != false {
			t.Errorf("%s: mounts a service account token it does not use", where)
		}
		for _, c := range digList(pod, "containers") {
			sc := digMap(c, "securityContext")
			cw := where + " container " + digString(c, "name")
			if sc["allowPrivilegeEscalation"] != false || sc["readOnlyRootFilesystem"] != true {
				t.Errorf("%s: allowPrivilegeEscalation must be false and readOnlyRootFilesystem true: %v", cw, sc)
			}
			if !slices.Contains(digList(sc, "capabilities", "drop"), any("ALL")) || len(digList(sc, "capabilities", "add")) > 0 {
				t.Errorf("%s: capabilities must drop ALL and add none: %v", cw, dig(sc, "capabilities"))
			}
			if digString(sc, "seccompProfile", "type") != "RuntimeDefault" {
				t.Errorf("%s: no seccompProfile RuntimeDefault", cw)
			}
			for _, r := range []string{"requests.cpu", "requests.memory", "limits.memory"} {
				a, b, _ := strings.Cut(r, ".")
				if digString(c, "resources", a, b) == "" {
					t.Errorf("%s: no resources.%s", cw, r)
				}
			}
			if dig(c, "readinessProbe") == nil || dig(c, "livenessProbe") == nil {
				t.Errorf("%s: needs a readiness and a liveness probe", cw)
			}
		}
	}

	// A read-only root: exports need a writable temporary directory.
	export, err := os.ReadFile("export.go")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(export, []byte(`os.CreateTemp("",`)) {
		tmp := ""
		for _, vm := range digList(container, "volumeMounts") {
			if digString(vm, "mountPath") == os.TempDir() && dig(vm, "readOnly") != true {
				tmp = digString(vm, "name")
			}
		}
		ok := false
		for _, v := range digList(dep.doc, "spec", "template", "spec", "volumes") {
			ok = ok || (digString(v, "name") == tmp && dig(v, "emptyDir") != nil)
		}
		if !ok {
			t.Errorf("exports write to %s (os.CreateTemp), but the read-only container mounts no writable emptyDir there", os.TempDir())
		}
	}

	// Redis: persistent, never evicting, reachable only from the bot.
	redis := findObject(t, objs, "StatefulSet", "inboxbot-redis")
	rc := digList(redis.doc, "spec", "template", "spec", "containers")
	args := fmt.Sprint(dig(rc, 0, "args"), dig(rc, 0, "command"))
	for _, want := range []string{"--appendonly yes", "--maxmemory-policy noeviction"} {
		if !strings.Contains(args, want) {
			t.Errorf("Redis runs without %s (%s): digests and leases must survive a restart and never be evicted", want, args)
		}
	}
	if len(digList(redis.doc, "spec", "volumeClaimTemplates")) == 0 {
		t.Error("the Redis StatefulSet has no volumeClaimTemplates: its data would not survive the pod")
	}
	np := findObject(t, objs, "NetworkPolicy", "inboxbot-redis")
	if !labelsMatch(digMap(np.doc, "spec", "podSelector", "matchLabels"), digMap(redis.doc, "spec", "template", "metadata", "labels")) ||
		!labelsMatch(digMap(np.doc, "spec", "ingress", 0, "from", 0, "podSelector", "matchLabels"), podLabels) {
		t.Error("NetworkPolicy inboxbot-redis does not let (only) the bot's pods reach Redis")
	}
	np = findObject(t, objs, "NetworkPolicy", "inboxbot")
	if got := fmt.Sprint(dig(np.doc, "spec", "ingress", 0, "ports", 0, "port")); got != port {
		t.Errorf("NetworkPolicy inboxbot admits port %s; HTTP_ADDR listens on %s", got, port)
	}
}

// dockerStage is one stage of the Dockerfile: its FROM and instructions,
// continuation lines joined.
type dockerStage struct {
	from         string
	instructions [][2]string // instruction (upper case), arguments
}

func (s dockerStage) all(instr string) []string {
	var args []string
	for _, in := range s.instructions {
		if in[0] == instr {
			args = append(args, in[1])
		}
	}
	return args
}

func dockerStages(t *testing.T) []dockerStage {
	t.Helper()
	data, err := os.ReadFile("../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`\\\n\s*`).ReplaceAllString(string(data), "")
	var stages []dockerStage
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		instr, args, _ := strings.Cut(line, " ")
		instr = strings.ToUpper(instr)
		if instr == "FROM" {
			stages = append(stages, dockerStage{from: args})
			continue
		}
		if len(stages) == 0 {
			continue // ARG before FROM
		}
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, [2]string{instr, strings.TrimSpace(args)})
	}
	if len(stages) < 2 {
		t.Fatalf("the Dockerfile has %d stages, want a build and a final one", len(stages))
	}
	return stages
}

// finalImage is what the Dockerfile's final stage runs: the binary's path,
// its user, and whether the base has a shell.
func finalImage(t *testing.T) (binary, user string, shell bool) {
	t.Helper()
	stages := dockerStages(t)
	final := stages[len(stages)-1]
	shell = !strings.Contains(final.from, "distroless") && !strings.HasPrefix(final.from, "scratch")
	ep := final.all("ENTRYPOINT")
	if len(ep) != 1 {
		t.Fatalf("the final stage has %d ENTRYPOINTs", len(ep))
	}
	var argv []string
	if err := yaml.Unmarshal([]byte(ep[0]), &argv); err != nil || len(argv) == 0 {
		t.Fatalf("ENTRYPOINT %s is not the exec (JSON) form: %v", ep[0], err)
	}
	binary = argv[0]
	copied := false
	for _, c := range final.all("COPY") {
		f := strings.Fields(c)
		copied = copied || f[len(f)-1] == binary
	}
	if !copied {
		t.Errorf("the final stage does not COPY the binary to %s", binary)
	}
	users := final.all("USER")
	if len(users) == 0 {
		t.Fatal("the final stage sets no USER: it would run as root")
	}
	return binary, users[len(users)-1], shell
}

// TestDockerImageRunsAsNonRoot: the final image runs the binary as a
// numeric non-root user (Kubernetes can verify runAsNonRoot only for a
// number), exposes HTTP_ADDR's port, and sets only variables Config reads.
func TestDockerImageRunsAsNonRoot(t *testing.T) {
	_, user, _ := finalImage(t)
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("the image's USER is %q; want a numeric non-root uid", user)
	}
	stages := dockerStages(t)
	final := stages[len(stages)-1]
	addr := httpAddrDefault()
	for _, e := range final.all("ENV") {
		name, value, _ := strings.Cut(e, "=")
		if !slices.Contains(configNames(), name) {
			t.Errorf("the image sets %s, which Config does not read", name)
		}
		if name == "HTTP_ADDR" {
			addr = value
		}
	}
	for _, e := range final.all("ENV") {
		if v, ok := strings.CutPrefix(e, "STORE_URL=bolt://"); ok {
			// The image's user must be able to create the file: its
			// directory is copied in with that owner.
			dir := filepath.Dir(v)
			owned := false
			for _, c := range final.all("COPY") {
				f := strings.Fields(c)
				owned = owned || (f[len(f)-1] == dir && slices.Contains(f, "--chown="+user))
			}
			if !owned {
				t.Errorf("STORE_URL=bolt://%s: the final stage does not COPY %s with --chown=%s", v, dir, user)
			}
		}
	}
	if exp := final.all("EXPOSE"); !slices.Contains(exp, addrPort(t, addr)) {
		t.Errorf("the image exposes %v; HTTP_ADDR %q listens on %s", exp, addr, addrPort(t, addr))
	}
}

// TestComposeMatchesTheBot: the compose file sets only variables Config
// reads, its configuration loads (the example env file standing in for
// inboxbot.env, RULES_FILE the mounted example); the bot's health check
// runs a real sub-command of the image's binary without a shell when the
// image has none; the published port is HTTP_ADDR's; the bot runs as a
// non-root user on a read-only root with a writable /tmp, waits for a
// healthy Redis that persists and never evicts, and is given the time to
// drain.
func TestComposeMatchesTheBot(t *testing.T) {
	doc := readYAMLDocs(t, "../deploy/compose.yaml")[0]
	bot := digMap(doc, "services", "inboxbot")
	if bot == nil {
		t.Fatal("compose.yaml has no inboxbot service")
	}
	if digString(bot, "build", "dockerfile") != "deploy/Dockerfile" || digString(bot, "build", "context") != ".." {
		t.Errorf("the bot is not built from deploy/Dockerfile with the repository as context: %v", dig(bot, "build"))
	}

	// The environment: inboxbot.env (here: the example), then `environment:`.
	envFile := digString(bot, "env_file")
	if filepath.Base(envFile) != "inboxbot.env" {
		t.Errorf("env_file is %q; the README's file is inboxbot.env", envFile)
	}
	example, err := os.ReadFile("../deploy/inboxbot.env.example")
	if err != nil {
		t.Fatal(err)
	}
	_, env := readEnvFile(t, string(example)) // docker reads it verbatim
	environment := digMap(bot, "environment")
	if len(environment) == 0 {
		t.Fatal("the inboxbot service sets no environment")
	}
	for k, v := range environment {
		if !slices.Contains(configNames(), k) {
			t.Errorf("compose.yaml sets %s, which Config does not read", k)
		}
		s, ok := v.(string)
		if !ok {
			t.Errorf("compose.yaml: %s is %T, not a string", k, v)
		}
		env[k] = s
	}
	if rules := env["RULES_FILE"]; rules != "" {
		local := ""
		for _, v := range digList(bot, "volumes") {
			src, dst, _ := strings.Cut(fmt.Sprint(v), ":")
			dst, _, _ = strings.Cut(dst, ":")
			if dst == rules {
				local = filepath.Join("../deploy", src)
			}
		}
		if local == "" {
			t.Fatalf("RULES_FILE=%s is not a mounted file", rules)
		}
		env["RULES_FILE"] = local
	}
	for k, v := range realTokens {
		env[k] = v
	}
	cfg := loadConfigFrom(t, env)
	if err := cfg.RequireSlack(); err != nil {
		t.Errorf("the compose configuration does not load as `run` does: %v", err)
	}
	u, err := url.Parse(cfg.StoreURL)
	if err != nil || digMap(doc, "services", u.Hostname()) == nil {
		t.Errorf("STORE_URL %q does not name a compose service", cfg.StoreURL)
	}
	redis := digMap(doc, "services", u.Hostname())
	if args := fmt.Sprint(dig(redis, "command")); !strings.Contains(args, "--appendonly yes") || !strings.Contains(args, "--maxmemory-policy noeviction") {
		t.Errorf("compose's Redis must persist and never evict: %s", args)
	}
	if digString(bot, "depends_on", u.Hostname(), "condition") != "service_healthy" || dig(redis, "healthcheck", "test") == nil {
		t.Error("the bot does not wait for a healthy Redis")
	}

	// The health check runs in the final image.
	binary, _, shell := finalImage(t)
	test := digList(bot, "healthcheck", "test")
	if len(test) < 3 {
		t.Fatalf("the bot's healthcheck is %v", test)
	}
	switch {
	case test[0] == "CMD-SHELL" && !shell:
		t.Errorf("the healthcheck needs a shell; the image (%s) has none", dockerStages(t)[len(dockerStages(t))-1].from)
	case test[0] != "CMD" && test[0] != "CMD-SHELL":
		t.Errorf("healthcheck test starts with %v", test[0])
	case test[0] == "CMD" && test[1] != binary:
		t.Errorf("the healthcheck runs %v; the image's binary is %s", test[1], binary)
	}
	if test[0] == "CMD" {
		sub := fmt.Sprint(test[2])
		if !slices.ContainsFunc(subcommands(), func(s subcommand) bool { return s.name == sub }) {
			t.Errorf("the healthcheck runs `inboxbot %s`, which is not a sub-command", sub)
		}
		for _, a := range test[3:] {
			if a != "--ready" && !strings.HasPrefix(fmt.Sprint(a), "--timeout") {
				t.Errorf("the healthcheck passes %v, which health does not take", a)
			}
		}
	}

	port := addrPort(t, cfg.HTTPAddr)
	for _, p := range digList(bot, "ports") {
		spec := fmt.Sprint(p)
		if container := spec[strings.LastIndex(spec, ":")+1:]; container != port {
			t.Errorf("compose publishes container port %s; HTTP_ADDR listens on %s", container, port)
		}
	}
	uid, _, _ := strings.Cut(digString(bot, "user"), ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("the bot's user is %q; want a numeric non-root uid", digString(bot, "user"))
	}
	if dig(bot, "read_only") != true || !slices.Contains(digList(bot, "tmpfs"), any(os.TempDir())) {
		t.Errorf("the bot should run read-only with a tmpfs at %s (exports)", os.TempDir())
	}
	if !slices.Contains(digList(bot, "cap_drop"), any("ALL")) {
		t.Error("the bot keeps capabilities")
	}
	grace, err := time.ParseDuration(digString(bot, "stop_grace_period"))
	if err != nil || grace < drainBound()+5*time.Second {
		t.Errorf("stop_grace_period %q; the bot needs up to %s to drain and close", digString(bot, "stop_grace_period"), drainBound())
	}
}

// TestSystemdGivesTheDrainTime: the unit's TimeoutStopSec covers the drain.
func TestSystemdGivesTheDrainTime(t *testing.T) {
	stop := unitSettings(t, "../deploy/inboxbot.service")["TimeoutStopSec"]
	if len(stop) != 1 {
		t.Fatalf("TimeoutStopSec = %v", stop)
	}
	d, err := time.ParseDuration(stop[0])
	if err != nil || d < drainBound() {
		t.Errorf("TimeoutStopSec=%s; the bot needs up to %s to drain and close", stop[0], drainBound())
	}
}

// TestRulesExampleLoads: deploy/rules.example.yaml and the Kubernetes copy
// load as the bot loads RULES_FILE, each alert's rule included, and declare
// digests and alerts of both kinds.
func TestRulesExampleLoads(t *testing.T) {
	for _, file := range []string{"../deploy/rules.example.yaml", "../deploy/k8s/rules.yaml"} {
		t.Run(filepath.Base(filepath.Dir(file)), func(t *testing.T) { rulesFileLoads(t, file) })
	}
}

func rulesFileLoads(t *testing.T, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	qenv := commands.Env{Now: cliNow, Location: time.UTC}
	env := commands.RulesEnv{
		Query:    qenv,
		Schedule: func(s string) error { _, err := schedule.Parse(s, time.UTC); return err },
	}
	rf, err := commands.ParseRulesFile(data, env)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(rf.Digests) < 1 || len(rf.Alerts) < 2 {
		t.Fatalf("the example declares %d digests and %d alerts; want digests and both kinds of alert", len(rf.Digests), len(rf.Alerts))
	}
	kinds := map[commands.AlertKind]bool{}
	for _, fa := range rf.Alerts {
		r, err := commands.AlertRuleFromFile(fa, qenv, time.UTC, time.Minute)
		if err != nil {
			t.Errorf("alert %s: %v", fa.ID, err)
			continue
		}
		kinds[r.Kind] = true
	}
	if len(kinds) < 2 {
		t.Errorf("the example's alerts are all of one kind: %v", kinds)
	}
}

// metricOpts returns the metrics metrics.go declares: each name with the
// kind of its options (CounterOpts, HistogramOpts...).
func metricOpts(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "metrics.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		sel, ok := lit.Type.(*ast.SelectorExpr)
		if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
			return true
		}
		for _, e := range lit.Elts {
			kv, ok := e.(*ast.KeyValueExpr)
			if !ok || fmt.Sprint(kv.Key) != "Name" {
				continue
			}
			if bl, ok := kv.Value.(*ast.BasicLit); ok {
				name, _ := strconv.Unquote(bl.Value)
				opts[name] = sel.Sel.Name
			}
		}
		return true
	})
	if len(opts) < 10 {
		t.Fatalf("metrics.go names %d metrics: the parser no longer reads them", len(opts))
	}
	return opts
}

// metricNames are the series the bot exports: the names in metrics.go's
// metric options (histograms as _bucket, _sum and _count) and those of the
// Go and process collectors it registers.
func metricNames(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	for name, kind := range metricOpts(t) {
		names[name] = true
		if kind == "HistogramOpts" || kind == "SummaryOpts" {
			names[name+"_sum"], names[name+"_count"] = true, true
		}
		if kind == "HistogramOpts" {
			names[name+"_bucket"] = true
		}
	}
	fams, err := NewMetrics().registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range fams {
		name := mf.GetName()
		names[name], names[name+"_sum"], names[name+"_count"], names[name+"_bucket"] = true, true, true, true
	}
	return names
}

// TestREADMEMetricsAreTheCodes: the README's table of metrics (Operating
// it) names each metric metrics.go declares, and no other.
func TestREADMEMetricsAreTheCodes(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "## Operating") })
	if start < 0 {
		t.Fatal("README.md has no \"## Operating\" section")
	}
	header := slices.Index(lines[start:], "| metric | labels | meaning |")
	if header < 0 {
		t.Fatal("Operating it has no | metric | labels | meaning | table")
	}
	documented := map[string]int{}
	for i := start + header + 2; i < len(lines) && strings.HasPrefix(lines[i], "|"); i++ {
		m := regexp.MustCompile("^\\| `([a-z_:]+)` \\|").FindStringSubmatch(lines[i])
		if m == nil {
			t.Errorf("README.md:%d: a row without a metric name: %s", i+1, lines[i])
			continue
		}
		if _, dup := documented[m[1]]; dup {
			t.Errorf("README.md:%d: %s is already in the table", i+1, m[1])
		}
		documented[m[1]] = i + 1
	}
	declared := metricOpts(t)
	for name, line := range documented {
		if _, ok := declared[name]; !ok {
			t.Errorf("README.md:%d documents %s, which metrics.go does not declare", line, name)
		}
	}
	for name := range declared {
		if _, ok := documented[name]; !ok {
			t.Errorf("metrics.go declares %s, which the README's metrics table (Operating it) does not document", name)
		}
	}
}

// externalMetrics are series the rules may use that are not the bot's:
// Prometheus's own per target, and kube-state-metrics' of the Deployment.
var externalMetrics = []string{"up", "kube_deployment_status_replicas_available", "kube_deployment_spec_replicas"}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan", "atan2"}
	promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
)

// promMetrics returns the metric names a PromQL expression selects: its
// identifiers that are neither a function or aggregation (followed by a
// parenthesis), a keyword, a label (inside {} or a by/on list), a string, a
// range nor part of a number. Not a PromQL parser: enough to hold the
// names to the code.
func promMetrics(expr string) []string {
	s := promString.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRange.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(s, -1) {
		word := s[loc[0]:loc[1]]
		if loc[0] > 0 && (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9' || s[loc[0]-1] == '.') {
			continue // 1e3, 0.5
		}
		if strings.HasPrefix(strings.TrimSpace(s[loc[1]:]), "(") || slices.Contains(promKeywords, strings.ToLower(word)) {
			continue
		}
		names = append(names, word)
	}
	return names
}

// balanced reports whether (), [] and {} nest properly outside strings.
func balanced(expr string) bool {
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for _, r := range promString.ReplaceAllString(expr, `""`) {
		switch r {
		case '(', '[', '{':
			stack = append(stack, r)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0
}

// TestPrometheusRules: deploy/prometheus-rules.yaml has the shape
// Prometheus loads (groups of rules; each alert with an expr, a duration
// `for`, a severity and a summary and description), and every metric its
// expressions select is one the bot exports (or Prometheus's `up`, or
// kube-state-metrics' of the Deployment). Rules cover what an operator
// must hear of.
func TestPrometheusRules(t *testing.T) {
	doc := readYAMLDocs(t, "../deploy/prometheus-rules.yaml")[0]
	exported := metricNames(t)
	for k := range doc {
		if k != "groups" {
			t.Errorf("unknown top-level key %q", k)
		}
	}
	groups := digList(doc, "groups")
	if len(groups) == 0 {
		t.Fatal("no groups")
	}
	seenGroup, seenAlert := map[string]bool{}, map[string]bool{}
	used := map[string]bool{}
	for _, g := range groups {
		name := digString(g, "name")
		if name == "" || seenGroup[name] {
			t.Errorf("group name %q is empty or repeated", name)
		}
		seenGroup[name] = true
		rules := digList(g, "rules")
		if len(rules) == 0 {
			t.Errorf("group %s has no rules", name)
		}
		for _, r := range rules {
			rule, _ := r.(map[string]any)
			alert := digString(rule, "alert")
			for k := range rule {
				if !slices.Contains([]string{"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, k) {
					t.Errorf("%s: unknown key %q", alert, k)
				}
			}
			if !regexp.MustCompile(`^Inboxbot[A-Z][A-Za-z0-9]*$`).MatchString(alert) || seenAlert[alert] {
				t.Errorf("alert name %q: want a unique InboxbotCamelCase name", alert)
			}
			seenAlert[alert] = true
			expr := digString(rule, "expr")
			if strings.TrimSpace(expr) == "" || !balanced(expr) {
				t.Errorf("%s: expr %q is empty or its brackets do not balance", alert, expr)
			}
			metrics := promMetrics(expr)
			if len(metrics) == 0 {
				t.Errorf("%s: expr %q selects no metric", alert, expr)
			}
			for _, m := range metrics {
				used[m] = true
				if !exported[m] && !slices.Contains(externalMetrics, m) {
					t.Errorf("%s: %s is not a metric the bot exports (bot/metrics.go)", alert, m)
				}
			}
			if f, ok := rule["for"]; ok && !promDuration.MatchString(fmt.Sprint(f)) {
				t.Errorf("%s: for %v is not a duration", alert, f)
			}
			if sev := digString(rule, "labels", "severity"); !slices.Contains([]string{"critical", "warning", "info"}, sev) {
				t.Errorf("%s: severity %q; want critical, warning or info", alert, sev)
			}
			if digString(rule, "annotations", "summary") == "" || digString(rule, "annotations", "description") == "" {
				t.Errorf("%s: needs a summary and a description", alert)
			}
		}
	}
	for _, m := range []string{"up", "inboxbot_slack_api_errors_total", "inboxbot_inbox_attempts_total", "inboxbot_digests_total",
		"inboxbot_digest_lag_seconds_bucket", "inboxbot_panics_total", "inboxbot_busy_rejections_total",
		"inboxbot_alert_rounds_total", "inboxbot_alert_evaluations_total"} {
		if !used[m] {
			t.Errorf("no rule watches %s", m)
		}
	}
}

// TestPromMetrics pins the metric-name reader the rules test relies on.
func TestPromMetrics(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`up{job="inboxbot"} == 0`, []string{"up"}},
		{`sum by (method, error) (increase(inboxbot_slack_api_errors_total[15m])) > 5`, []string{"inboxbot_slack_api_errors_total"}},
		{`histogram_quantile(0.9, sum by (le) (rate(x_bucket{a=~"b|c"}[1h]))) > 1e3`, []string{"x_bucket"}},
		{`a / on (instance) group_left b and bool c offset 5m`, []string{"a", "b", "c"}},
		{`sum(rate(a{outcome!="ok"}[10m])) / sum(rate(a[10m]))`, []string{"a", "a"}},
	}
	for _, tt := range tests {
		if got := promMetrics(tt.expr); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("promMetrics(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}

// slackScopes maps the slack-go client methods the bot may call to the bot
// scope each needs (Slack's method reference; "" for none). A method the
// code calls that is not here fails TestManifestScopesAreTheCodes until its
// scope is added.
var slackScopes = map[string]string{
	"AuthTestContext":               "", // auth.test
	"PostMessageContext":            "chat:write",
	"UpdateMessageContext":          "chat:write",
	"PostEphemeralContext":          "chat:write",
	"DeleteMessageContext":          "chat:write",
	"SendMessageContext":            "chat:write",
	"ScheduleMessageContext":        "chat:write",
	"UploadFileContext":             "files:write", // files.getUploadURLExternal + files.completeUploadExternal
	"GetUserInfoContext":            "users:read",
	"GetUsersInfoContext":           "users:read",
	"GetConversationInfoContext":    "channels:read",
	"GetPermalinkContext":           "",
	"AddReactionContext":            "reactions:write",
	"OpenConversationContext":       "im:write",
	"JoinConversationContext":       "channels:join",
	"GetUserGroupsContext":          "usergroups:read",
	"PublishViewContext":            "",
	"GetConversationHistoryContext": "channels:history",
	"GetConversationRepliesContext": "channels:history",
}

// slackMethodsCalled returns the *slack.Client methods the program's
// non-test code calls (a method is one of the client's whose name ends in
// Context, or whose Context variant the client has), with a place of each.
func slackMethodsCalled(t *testing.T) map[string]string {
	t.Helper()
	client := reflect.TypeFor[*slack.Client]()
	isClient := func(name string) (string, bool) {
		if _, ok := client.MethodByName(name); ok && strings.HasSuffix(name, "Context") {
			return name, true
		}
		if _, ok := client.MethodByName(name + "Context"); ok {
			return name + "Context", true
		}
		return "", false
	}
	called := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "slacktest", "inboxtest":
				return filepath.SkipDir // fakes serve Slack; they do not call it
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
				if m, ok := isClient(sel.Sel.Name); ok {
					called[m] = fset.Position(call.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return called
}

// TestManifestScopesAreTheCodes holds the Slack app manifest to the code:
// the /inbox command (escaped, so mentions arrive as ids), interactivity
// (the buttons, which the bot handles), Socket Mode, a bot user, no event
// subscriptions the bot does not read, and exactly the bot scopes of the
// Web API methods the code calls (derived from the source), plus
// `commands` for the slash command: a scope nobody uses and a method
// without its scope both fail.
func TestManifestScopesAreTheCodes(t *testing.T) {
	m := readYAMLDocs(t, "../deploy/slack-app-manifest.yaml")[0]
	slackbot, err := os.ReadFile("slackbot.go")
	if err != nil {
		t.Fatal(err)
	}
	var commandsDeclared []string
	for _, c := range digList(m, "features", "slash_commands") {
		commandsDeclared = append(commandsDeclared, digString(c, "command"))
		if dig(c, "should_escape") != true {
			t.Errorf("%s: should_escape must be true (mentions and channels arrive as <@U...> ids, which the parser reads)", digString(c, "command"))
		}
	}
	if !reflect.DeepEqual(commandsDeclared, []string{"/inbox"}) {
		t.Errorf("the manifest declares commands %v, want [/inbox]", commandsDeclared)
	}
	if !bytes.Contains(slackbot, []byte("socketmode.EventTypeSlashCommand")) {
		t.Error("the bot no longer handles slash commands")
	}
	if dig(m, "settings", "socket_mode_enabled") != true {
		t.Error("socket_mode_enabled is not true: the bot connects only over Socket Mode")
	}
	interactive := bytes.Contains(slackbot, []byte("socketmode.EventTypeInteractive"))
	if got := dig(m, "settings", "interactivity", "is_enabled") == true; got != interactive {
		t.Errorf("interactivity.is_enabled is %v; the bot handles clicks: %v", got, interactive)
	}
	if dig(m, "settings", "interactivity", "request_url") != nil || dig(m, "features", "slash_commands", 0, "url") != nil {
		t.Error("a request URL in a Socket Mode app: Slack would post there instead")
	}
	if events := dig(m, "settings", "event_subscriptions"); events != nil && !bytes.Contains(slackbot, []byte("EventTypeEventsAPI")) {
		t.Errorf("the manifest subscribes to events (%v) the bot does not read", events)
	}
	if digString(m, "features", "bot_user", "display_name") == "" {
		t.Error("no bot user: chat:write and files:write need one")
	}
	if u := digList(m, "oauth_config", "scopes", "user"); len(u) > 0 {
		t.Errorf("the manifest asks for user scopes %v; the bot acts only as itself", u)
	}

	called := slackMethodsCalled(t)
	for _, must := range []string{"PostMessageContext", "UploadFileContext", "AuthTestContext"} {
		if _, ok := called[must]; !ok {
			t.Errorf("the scan found no call of %s (found %v): it no longer reads the code", must, called)
		}
	}
	want := map[string]string{"commands": "the /inbox slash command"}
	for method, where := range called {
		scope, ok := slackScopes[method]
		if !ok {
			t.Errorf("%s calls slack-go's %s, whose scope slackScopes does not know: add it (Slack's method reference)", where, method)
			continue
		}
		if scope != "" {
			want[scope] = method + " at " + where
		}
	}
	declared := map[string]bool{}
	for _, s := range digList(m, "oauth_config", "scopes", "bot") {
		declared[fmt.Sprint(s)] = true
		if _, ok := want[fmt.Sprint(s)]; !ok {
			t.Errorf("the manifest asks for bot scope %s, which no method the code calls needs (least privilege)", s)
		}
	}
	for scope, why := range want {
		if !declared[scope] {
			t.Errorf("the manifest lacks bot scope %s, needed by %s", scope, why)
		}
	}
}

// ciBuild is the `go build` command of a shell text (continuations
// joined, spaces collapsed) without its -o output.
func ciBuild(t *testing.T, name, text string) string {
	t.Helper()
	text = regexp.MustCompile(`\\\n\s*`).ReplaceAllString(text, " ")
	m := regexp.MustCompile(`(?m)^\s*(?:RUN\s+)?(CGO_ENABLED=\S+\s+go build\s.*)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%s has no `CGO_ENABLED=... go build` line", name)
	}
	cmd := regexp.MustCompile(`\s-o\s+\S+`).ReplaceAllString(m[1], "")
	return strings.Join(strings.Fields(cmd), " ")
}

// TestCIBuildsTheImagesBinary: .ci/run builds the binary with the
// Dockerfile's exact command (static: CGO_ENABLED=0, -trimpath, the same
// -ldflags and version stamps), so the binary CI tests is the one shipped.
func TestCIBuildsTheImagesBinary(t *testing.T) {
	dockerfile, err := os.ReadFile("../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	image := ciBuild(t, "deploy/Dockerfile", string(dockerfile))
	built := ciBuild(t, ".ci/run", string(ci))
	if image != built {
		t.Errorf("CI builds another binary than the image:\nDockerfile: %s\n.ci/run:    %s", image, built)
	}
	for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}"} {
		if !strings.Contains(image, flag) {
			t.Errorf("the build lacks %s: %s", flag, image)
		}
	}
}
