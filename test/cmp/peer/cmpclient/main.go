// Command cmpclient is a test peer for an argocd-cmp-server: it talks to the
// plugin's unix socket the same way Argo CD's repo-server does, using Argo
// CD's own client packages (cmpserver/apiclient and util/cmp.SendRepoStream),
// and prints exactly one JSON object on stdout.
//
//	cmpclient -socket PATH -repo-root DIR -app-path DIR [-env NAME=VALUE ...]
//	          [-timeout 30s] [-exclude GLOB ...] check|match|parameters|generate
//
// Success output. ms is the wall time of the RPC as seen by the client,
// from opening the call to the response (for the streaming RPCs this
// includes building and uploading the tarball, as it does for the
// repo-server's deadline); recvMs is the part after the last chunk was sent,
// i.e. the server-side work (checksum, untar, running the commands):
//
//	check       {"isDiscoveryConfigured":bool,"provideGitCreds":bool,"ms":N}
//	match       {"isSupported":bool,"isDiscoveryEnabled":bool,"ms":N,"recvMs":N}
//	parameters  {"parameterAnnouncements":[{name,title,tooltip,required,itemType,collectionType,string,array,map}...],"ms":N,"recvMs":N}
//	generate    {"manifests":["<one JSON string per object>"...],"sourceType":"","ms":N,"recvMs":N}
//
// Failure output (exit status 1):
//
//	{"error":{"code":"Unknown","message":"..."},"ms":N,"recvMs":N}
//
// code is the gRPC status code name (codes.Code.String()) and message the
// status message. An error raised on the client side without any gRPC
// status (dial failure, "no files to send") carries "local":true, with code
// "Unknown", or "DeadlineExceeded"/"Canceled" when the context ended.
// Usage errors exit with status 2 and print to stderr only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang/protobuf/ptypes/empty"
	grpc_retry "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	log "github.com/sirupsen/logrus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pluginclient "github.com/argoproj/argo-cd/v3/cmpserver/apiclient"
	repoapiclient "github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v3/util/cmp"
	utilio "github.com/argoproj/argo-cd/v3/util/io"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Local   bool   `json:"local,omitempty"`
}

type errorOut struct {
	Error  errorBody `json:"error"`
	MS     int64     `json:"ms"`
	RecvMS int64     `json:"recvMs,omitempty"`
}

type checkOut struct {
	IsDiscoveryConfigured bool  `json:"isDiscoveryConfigured"`
	ProvideGitCreds       bool  `json:"provideGitCreds"`
	MS                    int64 `json:"ms"`
}

type matchOut struct {
	IsSupported        bool  `json:"isSupported"`
	IsDiscoveryEnabled bool  `json:"isDiscoveryEnabled"`
	MS                 int64 `json:"ms"`
	RecvMS             int64 `json:"recvMs"`
}

type parametersOut struct {
	ParameterAnnouncements []*repoapiclient.ParameterAnnouncement `json:"parameterAnnouncements"`
	MS                     int64                                  `json:"ms"`
	RecvMS                 int64                                  `json:"recvMs"`
}

type generateOut struct {
	Manifests  []string `json:"manifests"`
	SourceType string   `json:"sourceType"`
	MS         int64    `json:"ms"`
	RecvMS     int64    `json:"recvMs"`
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: cmpclient -socket PATH -repo-root DIR -app-path DIR [-env NAME=VALUE ...] [-timeout 30s] [-exclude GLOB ...] check|match|parameters|generate\n")
	flag.PrintDefaults()
}

func main() {
	var (
		socket   = flag.String("socket", "", "path of the plugin's unix socket (<dir>/<name>[-<version>].sock)")
		repoRoot = flag.String("repo-root", "", "root of the tree to tar and send (the repo root); not needed for check")
		appPath  = flag.String("app-path", "", "app directory (absolute, or relative to -repo-root); must be inside -repo-root")
		timeout  = flag.Duration("timeout", 60*time.Second, "deadline of the RPC (the repo-server default is 60s); 0 = none")
		envs     multiFlag
		excludes multiFlag
	)
	flag.Var(&envs, "env", "NAME=VALUE sent in the request metadata env (repeatable)")
	flag.Var(&excludes, "exclude", "filepath.Match glob excluded from the tarball, like --plugin-tar-exclude (repeatable)")
	flag.Usage = usage
	flag.Parse()
	// Argo CD's packages log through logrus; keep stdout for the JSON only.
	log.SetOutput(os.Stderr)

	if flag.NArg() != 1 || *socket == "" {
		usage()
		os.Exit(2)
	}
	op := flag.Arg(0)
	switch op {
	case "check":
	case "match", "parameters", "generate":
		if *repoRoot == "" || *appPath == "" {
			fmt.Fprintln(os.Stderr, "cmpclient: -repo-root and -app-path are required for", op)
			os.Exit(2)
		}
	default:
		usage()
		os.Exit(2)
	}

	root, app, err := resolvePaths(*repoRoot, *appPath)
	if op != "check" && err != nil {
		fmt.Fprintln(os.Stderr, "cmpclient:", err)
		os.Exit(2)
	}

	ctx := context.Background()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}

	// Same client set the repo-server uses (util/app/discovery.cmpSupports).
	conn, client, err := pluginclient.NewConfigManagementPluginClientSet(*socket).NewConfigManagementPluginClient()
	if err != nil {
		fail(ctx, err)
	}
	defer utilio.Close(conn)

	var out any
	rpc.start = time.Now()
	switch op {
	case "check":
		out, err = check(ctx, client)
	case "match":
		out, err = match(ctx, client, app, root, envs, excludes)
	case "parameters":
		out, err = parameters(ctx, client, app, root, envs, excludes)
	case "generate":
		out, err = generate(ctx, client, app, root, envs, excludes)
	}
	if err != nil {
		fail(ctx, err)
	}
	emit(out)
}

func resolvePaths(repoRoot, appPath string) (string, string, error) {
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		return "", "", err
	}
	app := appPath
	if !filepath.IsAbs(app) {
		app = filepath.Join(root, app)
	}
	app = filepath.Clean(app)
	if rel, err := filepath.Rel(root, app); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", "", fmt.Errorf("-app-path %q is not inside -repo-root %q", appPath, repoRoot)
	}
	return root, app, nil
}

// timer measures the RPC as seen by the client: ms runs from opening the
// call to receiving the response; recvMs is the part spent in CloseAndRecv
// after the last chunk was sent (the server's checksum check, untar and
// command run, i.e. the server-side work).
type timer struct{ start, sent time.Time }

func (t *timer) ms() int64 { return time.Since(t.start).Milliseconds() }
func (t *timer) recvMs() int64 {
	if t.sent.IsZero() {
		return 0
	}
	return time.Since(t.sent).Milliseconds()
}

var rpc timer

// clientStream is the shape shared by the three client-streaming RPCs.
type clientStream[R any] interface {
	cmp.StreamSender
	Context() context.Context
	CloseAndRecv() (R, error)
}

// stream mirrors the repo-server's callers: open the stream with retries
// disabled, SendRepoStream (metadata + tgz chunks), then CloseAndRecv.
func stream[R any](open func() (clientStream[R], error), app, root string, env, excl []string) (R, error) {
	var zero R
	s, err := open()
	if err != nil {
		return zero, err
	}
	if err := cmp.SendRepoStream(s.Context(), app, root, s, env, excl); err != nil {
		return zero, err
	}
	rpc.sent = time.Now()
	return s.CloseAndRecv()
}

// check mirrors util/app/discovery.cmpSupports: a unary call through the
// clientset's retrying interceptor.
func check(ctx context.Context, c pluginclient.ConfigManagementPluginServiceClient) (any, error) {
	r, err := c.CheckPluginConfiguration(ctx, &empty.Empty{})
	if err != nil {
		return nil, err
	}
	return checkOut{IsDiscoveryConfigured: r.GetIsDiscoveryConfigured(), ProvideGitCreds: r.GetProvideGitCreds(), MS: rpc.ms()}, nil
}

// match mirrors util/app/discovery.matchRepositoryCMP.
func match(ctx context.Context, c pluginclient.ConfigManagementPluginServiceClient, app, root string, env, excl []string) (any, error) {
	r, err := stream(func() (clientStream[*pluginclient.RepositoryResponse], error) {
		return c.MatchRepository(ctx, grpc_retry.Disable())
	}, app, root, env, excl)
	if err != nil {
		return nil, err
	}
	return matchOut{IsSupported: r.GetIsSupported(), IsDiscoveryEnabled: r.GetIsDiscoveryEnabled(), MS: rpc.ms(), RecvMS: rpc.recvMs()}, nil
}

// parameters mirrors reposerver/repository.populatePluginAppDetails.
func parameters(ctx context.Context, c pluginclient.ConfigManagementPluginServiceClient, app, root string, env, excl []string) (any, error) {
	r, err := stream(func() (clientStream[*pluginclient.ParametersAnnouncementResponse], error) {
		return c.GetParametersAnnouncement(ctx, grpc_retry.Disable())
	}, app, root, env, excl)
	if err != nil {
		return nil, err
	}
	pa := r.GetParameterAnnouncements()
	if pa == nil {
		pa = []*repoapiclient.ParameterAnnouncement{}
	}
	return parametersOut{ParameterAnnouncements: pa, MS: rpc.ms(), RecvMS: rpc.recvMs()}, nil
}

// generate mirrors reposerver/repository.generateManifestsCMP.
func generate(ctx context.Context, c pluginclient.ConfigManagementPluginServiceClient, app, root string, env, excl []string) (any, error) {
	r, err := stream(func() (clientStream[*pluginclient.ManifestResponse], error) {
		return c.GenerateManifest(ctx, grpc_retry.Disable())
	}, app, root, env, excl)
	if err != nil {
		return nil, err
	}
	m := r.GetManifests()
	if m == nil {
		m = []string{}
	}
	return generateOut{Manifests: m, SourceType: r.GetSourceType(), MS: rpc.ms(), RecvMS: rpc.recvMs()}, nil
}

func fail(ctx context.Context, err error) {
	body := errorBody{Message: err.Error()}
	if s, ok := status.FromError(err); ok {
		// A real gRPC status (from the server, or produced by grpc-go for
		// this call, e.g. DeadlineExceeded). For a wrapped status grpc-go
		// keeps the full wrapped text as the message.
		body.Code = s.Code().String()
		body.Message = s.Message()
	} else {
		body.Local = true
		body.Code = codes.Unknown.String()
		cerr := ctx.Err()
		if cerr == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
			cerr = err
		}
		if cerr != nil {
			body.Code = status.FromContextError(cerr).Code().String()
		}
	}
	out := errorOut{Error: body}
	if !rpc.start.IsZero() {
		out.MS = rpc.ms()
		out.RecvMS = rpc.recvMs()
	}
	emit(out)
	os.Exit(1)
}

func emit(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "cmpclient: encoding output:", err)
		os.Exit(1)
	}
}
