// Command image builds the operator's container image without Docker or a registry: it
// compiles ./cmd/manager statically and writes an OCI image layout (optionally also pushing the
// image). It exists because neither a Docker daemon nor a base-image registry is reachable on
// the machines that build and test this project; the Dockerfile and .ko.yaml describe the same
// image for machines that have them.
//
// Without -base the image starts from an empty filesystem and carries what the operator needs
// from distroless/static: a CA bundle (for identity providers' JWKS and HTTPS apps), a passwd
// entry for the nonroot user 65532, and /tmp.
//
//	go run . -root ../../.. -o ../../../bin/image                    # OCI layout
//	go run . -root ../../.. -o /tmp/img -push registry.example/scim-operator:v1
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonroot is distroless' unprivileged user; the chart's securityContext runs as it too.
const nonroot = 65532

func main() {
	root := flag.String("root", ".", "the repository's root (holding go.mod and cmd/manager)")
	out := flag.String("o", "bin/image", "OCI image layout folder to write (replaced)")
	tag := flag.String("tag", "scim-operator:dev", "org.opencontainers.image.ref.name of the image in the layout")
	platform := flag.String("platform", "linux/amd64", "os/arch to build for")
	base := flag.String("base", "", "base image to pull (for example gcr.io/distroless/static:nonroot); empty: no base")
	caFile := flag.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to add when there is no base image")
	push := flag.String("push", "", "also push the image to this reference")
	flag.Parse()

	digest, err := run(*root, *out, *tag, *platform, *base, *caFile, *push)
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Println(digest)
}

func run(root, out, tag, platform, base, caFile, push string) (string, error) {
	osName, arch, ok := strings.Cut(platform, "/")
	if !ok {
		return "", fmt.Errorf("platform %q is not os/arch", platform)
	}
	bin, err := buildManager(root, osName, arch)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(filepath.Dir(bin))

	files := []file{{name: "manager", mode: 0o755, path: bin}}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	if base != "" {
		ref, err := name.ParseReference(base)
		if err != nil {
			return "", err
		}
		img, err = remote.Image(ref, remote.WithAuthFromKeychain(authn.DefaultKeychain),
			remote.WithPlatform(v1.Platform{OS: osName, Architecture: arch}))
		if err != nil {
			return "", fmt.Errorf("pulling base image: %w", err)
		}
	} else {
		ca, err := os.ReadFile(caFile)
		if err != nil {
			return "", fmt.Errorf("CA bundle (install the ca-certificates package, or pass -ca-bundle): %w", err)
		}
		files = append([]file{
			{name: "etc/", mode: 0o755},
			{name: "etc/passwd", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonroot, nonroot))},
			{name: "etc/group", mode: 0o644, data: []byte(fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonroot))},
			{name: "etc/ssl/", mode: 0o755},
			{name: "etc/ssl/certs/", mode: 0o755},
			{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: ca},
			{name: "home/", mode: 0o755},
			{name: "home/nonroot/", mode: 0o700, uid: nonroot},
			{name: "tmp/", mode: 0o1777},
		}, files...)
	}

	layerTar, err := tarFiles(files)
	if err != nil {
		return "", err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return "", err
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		CreatedBy: "hack/helm/image: /manager", Created: v1.Time{Time: epoch},
	}})
	if err != nil {
		return "", err
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = osName, arch
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config.User = fmt.Sprintf("%d:%d", nonroot, nonroot)
	cfg.Config.Entrypoint = []string{"/manager"}
	cfg.Config.Cmd = nil
	cfg.Config.WorkingDir = "/"
	if len(cfg.Config.Env) == 0 {
		cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	if cfg.Config.Labels == nil {
		cfg.Config.Labels = map[string]string{}
	}
	cfg.Config.Labels["org.opencontainers.image.source"] = "https://github.com/scim-operator/scim-operator"
	cfg.Config.Labels["org.opencontainers.image.title"] = "scim-operator"
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return "", err
	}

	if err := os.RemoveAll(out); err != nil {
		return "", err
	}
	p, err := layout.Write(out, empty.Index)
	if err != nil {
		return "", err
	}
	if err := p.AppendImage(img,
		layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tag}),
		layout.WithPlatform(v1.Platform{OS: osName, Architecture: arch})); err != nil {
		return "", err
	}
	if push != "" {
		ref, err := name.ParseReference(push)
		if err != nil {
			return "", err
		}
		if err := remote.Write(ref, img, remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return "", fmt.Errorf("pushing: %w", err)
		}
	}
	digest, err := img.Digest()
	return digest.String(), err
}

// epoch makes the image reproducible: the same sources give the same digest. SOURCE_DATE_EPOCH
// overrides it, as in other reproducible builds.
var epoch = func() time.Time {
	var secs int64
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if _, err := fmt.Sscan(s, &secs); err != nil {
			fmt.Fprintln(os.Stderr, "image: ignoring SOURCE_DATE_EPOCH:", err)
		}
	}
	return time.Unix(secs, 0).UTC()
}()

// buildManager compiles a static ./cmd/manager for the target platform into a temporary folder.
func buildManager(root, osName, arch string) (string, error) {
	if _, err := os.Stat(filepath.Join(root, "cmd", "manager")); err != nil {
		return "", fmt.Errorf("-root %q is not the repository's root: %w", root, err)
	}
	dir, err := os.MkdirTemp("", "scim-operator-image-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "manager")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./cmd/manager")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+osName, "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("building ./cmd/manager: %w", err)
	}
	return bin, nil
}

type file struct {
	name string // a trailing slash makes a directory
	mode int64
	uid  int
	data []byte // or path
	path string
}

// tarFiles writes the layer with fixed owners and times, so that it is reproducible.
func tarFiles(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Uid: f.uid, Gid: f.uid, ModTime: epoch, Format: tar.FormatPAX}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
			if err := tw.WriteHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		data := f.data
		if f.path != "" {
			var err error
			if data, err = os.ReadFile(f.path); err != nil {
				return nil, err
			}
		}
		h.Typeflag, h.Size = tar.TypeReg, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
