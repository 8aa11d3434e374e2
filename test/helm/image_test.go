package helm_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The image builds without Docker or a registry (hack/helm/image), runs as the nonroot user
// the chart's securityContext names, starts /manager, and is reproducible.
func TestImageBuildsIntoAnOCILayout(t *testing.T) {
	dir := t.TempDir()
	first := buildImage(t, filepath.Join(dir, "a"))
	if second := buildImage(t, filepath.Join(dir, "b")); second != first {
		t.Errorf("two builds of the same sources differ: %s and %s", first, second)
	}
	layout := filepath.Join(dir, "a")

	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	readJSON(t, filepath.Join(layout, "index.json"), &index)
	if len(index.Manifests) != 1 || index.Manifests[0].Digest != first ||
		index.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "scim-operator:test" {
		t.Fatalf("index.json: %+v; the tool printed %s", index, first)
	}
	var manifest struct {
		MediaType string `json:"mediaType"`
		Config    struct {
			Digest string `json:"digest"`
		} `json:"config"`
		Layers []struct {
			MediaType string `json:"mediaType"`
			Digest    string `json:"digest"`
		} `json:"layers"`
	}
	readJSON(t, blob(t, layout, first), &manifest)
	if manifest.MediaType != "application/vnd.oci.image.manifest.v1+json" || len(manifest.Layers) != 1 {
		t.Fatalf("manifest: %+v", manifest)
	}
	var config struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Config       struct {
			User       string   `json:"User"`
			Entrypoint []string `json:"Entrypoint"`
			Cmd        []string `json:"Cmd"`
		} `json:"config"`
	}
	readJSON(t, blob(t, layout, manifest.Config.Digest), &config)
	if config.OS != "linux" || config.Architecture != "amd64" || config.Config.User != "65532:65532" ||
		!reflect.DeepEqual(config.Config.Entrypoint, []string{"/manager"}) || len(config.Config.Cmd) != 0 {
		t.Errorf("image config: %+v", config)
	}

	files := layerFiles(t, blob(t, layout, manifest.Layers[0].Digest))
	manager, ok := files["manager"]
	if !ok || manager.mode&0o111 == 0 {
		t.Fatalf("no executable /manager in the layer: %v", manager)
	}
	bin, err := elf.NewFile(bytes.NewReader(manager.data))
	must(t, err)
	if bin.Machine != elf.EM_X86_64 {
		t.Errorf("/manager is for %v, want x86-64", bin.Machine)
	}
	for _, p := range bin.Progs {
		// No interpreter: statically linked, so it runs on an image with no libc.
		if p.Type == elf.PT_INTERP {
			t.Error("/manager is dynamically linked")
		}
	}
	if !strings.Contains(string(files["etc/passwd"].data), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd lacks the nonroot user: %q", files["etc/passwd"].data)
	}
	// HTTPS to identity providers' JWKS and to apps needs the CA bundle.
	if !bytes.Contains(files["etc/ssl/certs/ca-certificates.crt"].data, []byte("BEGIN CERTIFICATE")) {
		t.Error("no CA bundle at /etc/ssl/certs/ca-certificates.crt")
	}
}

// buildImage runs hack/helm/image (a module of its own) and returns the digest it printed.
func buildImage(t *testing.T, out string) string {
	t.Helper()
	cmd := exec.Command("go", "run", ".", "-root", root, "-o", out, "-tag", "scim-operator:test")
	cmd.Dir = filepath.Join(root, "hack", "helm", "image")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/helm/image: %v\n%s", err, stderr.String())
	}
	digest := strings.TrimSpace(string(stdout))
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("hack/helm/image printed %q, want a digest", digest)
	}
	return digest
}

// blob returns the path of a blob of the layout after checking its content against its digest.
func blob(t *testing.T, layout, digest string) string {
	t.Helper()
	hexDigest, ok := strings.CutPrefix(digest, "sha256:")
	if !ok {
		t.Fatalf("digest %q is not sha256", digest)
	}
	path := filepath.Join(layout, "blobs", "sha256", hexDigest)
	data, err := os.ReadFile(path)
	must(t, err)
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != hexDigest {
		t.Fatalf("blob %s does not match its digest", digest)
	}
	return path
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	must(t, json.Unmarshal(data, v))
}

type layerFile struct {
	mode int64
	data []byte
}

func layerFiles(t *testing.T, path string) map[string]layerFile {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	must(t, err)
	tr := tar.NewReader(gz)
	files := map[string]layerFile{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		must(t, err)
		data, err := io.ReadAll(tr)
		must(t, err)
		files[strings.TrimPrefix(h.Name, "/")] = layerFile{mode: h.Mode, data: data}
	}
}
