package main

import (
	"errors"
	"flag"
	"time"
)

// config is what the flags set. The defaults make a run of about two to three minutes on a
// two-core machine; docs/benchmarks.md gives the flags of the full size.
type config struct {
	Users  int `json:"users"`
	Groups int `json:"groups"`
	// ScaleGroups are empty groups created after the users, so that every later row runs in
	// a tenant with that many groups (the 10,000) without filling them.
	ScaleGroups int `json:"scaleGroups"`
	// BigGroup is the number of members the Entra-style scenario adds one PATCH at a time.
	BigGroup int `json:"bigGroup"`
	// PutMembers is the size of the group the Okta-wizard PUT replaces.
	PutMembers int `json:"putMembers"`
	PutRepeat  int `json:"putRepeat"`
	ProvUsers  int `json:"provisionedUsers"`

	// Concurrency is shared by the SCIM POSTs and both raw API-server create rows, so that
	// their ratios compare like with like.
	Concurrency       int `json:"concurrency"`
	FilterConcurrency int `json:"filterConcurrency"`
	// LatencyConcurrency is the client count of the latency targets (p99 "with 4 clients").
	LatencyConcurrency int `json:"latencyConcurrency"`
	GetConcurrency     int `json:"getConcurrency"`
	// ListConcurrency is the client count of the list-page throughput row; its latency row
	// runs with LatencyConcurrency.
	ListConcurrency  int `json:"listConcurrency"`
	PatchConcurrency int `json:"patchConcurrency"`
	OktaConcurrency  int `json:"oktaConcurrency"`
	ProvConcurrency  int `json:"provisioningConcurrency"`

	// ReadDuration is how long each time-bound scenario (reads, member churn) runs.
	ReadDuration time.Duration `json:"-"`
	ReadSeconds  float64       `json:"readDurationSeconds"`
	// Downstream is the SCIM app of scenario 6: auto, scimmy or inprocess.
	Downstream string `json:"downstream"`
	// Restart measures a second cold start with all objects present.
	Restart bool `json:"restart"`
	// OperatorPprof is the operator's --pprof-bind-address, empty for none. It is in the JSON
	// because profiles taken during a run cost the operator CPU.
	OperatorPprof string `json:"operatorPprof,omitempty"`
	// OperatorMemoryLimit becomes the operator's GOMEMLIMIT, as the Helm chart sets it from
	// the container's memory limit; empty: none (not even the bench's own GOMEMLIMIT).
	OperatorMemoryLimit string `json:"operatorMemoryLimit,omitempty"`
	// APIServerConsistencyCheck keeps kube-apiserver's watch-cache consistency checker on.
	APIServerConsistencyCheck bool `json:"apiserverConsistencyCheck"`

	Out        string `json:"-"`
	Repo       string `json:"-"`
	CPUProfile string `json:"-"`
	Keep       bool   `json:"-"`
	Verbose    bool   `json:"-"`
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&c.Users, "users", 2000, "users created through SCIM POST (and raw creates)")
	fs.IntVar(&c.Groups, "groups", 4, "groups that receive Okta-style PATCHes of 256 members (each gets every user)")
	fs.IntVar(&c.ScaleGroups, "scale-groups", 0, "empty groups created through SCIM POST right after the users, present in every later row (full size 10000)")
	fs.IntVar(&c.BigGroup, "big-group", 2000, "members added to the big group, one Entra-style PATCH each (at most -users)")
	fs.IntVar(&c.PutMembers, "put-members", 2000, "members of the group replaced by Okta-wizard PUTs (at most -users; full size 10000)")
	fs.IntVar(&c.PutRepeat, "put-repeat", 4, "PUTs of that group (the first fills it, later ones change 1% of members)")
	fs.IntVar(&c.ProvUsers, "prov-users", 20, "users whose provisioning into the downstream SCIM app is timed")
	fs.IntVar(&c.Concurrency, "concurrency", 32, "clients creating users and groups, through SCIM and directly in the API server (throughput is set with 32 clients, as for the other targets)")
	fs.IntVar(&c.FilterConcurrency, "filter-concurrency", 32, "clients sending userName/externalId eq filters")
	fs.IntVar(&c.LatencyConcurrency, "latency-concurrency", 4, "clients of the latency runs (filters, list pages, big-group GET)")
	fs.IntVar(&c.GetConcurrency, "get-concurrency", 32, "clients of GET /Users/{id}")
	fs.IntVar(&c.ListConcurrency, "list-concurrency", 32, "clients paging through /Users 100 at a time (throughput row)")
	fs.IntVar(&c.PatchConcurrency, "patch-concurrency", 4, "clients of one-member PATCHes on the big group")
	fs.IntVar(&c.OktaConcurrency, "okta-concurrency", 4, "clients of 256-member PATCHes")
	fs.IntVar(&c.ProvConcurrency, "prov-concurrency", 1, "clients creating users to be provisioned")
	fs.DurationVar(&c.ReadDuration, "duration", 5*time.Second, "length of each time-bound scenario")
	fs.StringVar(&c.Downstream, "downstream", "auto", "SCIM app of the provisioning scenario: scimmy (internal/testapps/scimmy, needs Node.js), inprocess, or auto (scimmy when it starts)")
	fs.BoolVar(&c.Restart, "restart", true, "restart the operator at the end and time its cold start with every object present")
	fs.StringVar(&c.OperatorPprof, "operator-pprof", "", "start the operator with --pprof-bind-address set to this address (for example 127.0.0.1:6060)")
	fs.StringVar(&c.OperatorMemoryLimit, "operator-memory-limit", "", "run the operator with this GOMEMLIMIT (for example 1536MiB), as the Helm chart does from its memory limit")
	fs.BoolVar(&c.APIServerConsistencyCheck, "apiserver-consistency-check", false, "keep kube-apiserver's watch-cache consistency checker on (it lists every object from etcd every 5 to 7.5 minutes)")
	fs.StringVar(&c.Out, "out", "bench-result.json", "JSON result file")
	fs.StringVar(&c.Repo, "repo", ".", "repository root (for config/crd/bases and ./cmd/manager)")
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the load generator (not the operator) here")
	fs.BoolVar(&c.Keep, "keep", false, "keep the temporary folder (operator log, kubeconfig)")
	fs.BoolVar(&c.Verbose, "v", false, "print progress of every scenario")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.ScaleGroups < 0 {
		return c, errors.New("-scale-groups must not be negative")
	}
	if c.Users < 1 || c.Concurrency < 1 || c.FilterConcurrency < 1 || c.LatencyConcurrency < 1 ||
		c.GetConcurrency < 1 || c.ListConcurrency < 1 || c.PatchConcurrency < 1 || c.OktaConcurrency < 1 || c.ProvConcurrency < 1 {
		return c, errors.New("-users and every concurrency must be at least 1")
	}
	switch c.Downstream {
	case "auto", "scimmy", "inprocess":
	default:
		return c, errors.New("-downstream is auto, scimmy or inprocess")
	}
	c.ReadSeconds = c.ReadDuration.Seconds()
	// Members must be users of the tenant: the server resolves them before storing.
	c.BigGroup = min(c.BigGroup, c.Users)
	c.PutMembers = min(c.PutMembers, c.Users)
	return c, nil
}
