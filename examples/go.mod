module github.com/ghlkit/ghl/examples

go 1.26.0

require (
	github.com/ghlkit/ghl v0.0.0
	github.com/ghlkit/ghl/bridge v0.0.0
)

require (
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	go.etcd.io/bbolt v1.5.0 // indirect
	golang.org/x/oauth2 v0.38.0 // indirect
	golang.org/x/sys v0.45.0 // indirect
)

// The example programs are built from the SDK and the bridge as they are in
// this repository.
replace (
	github.com/ghlkit/ghl => ../
	github.com/ghlkit/ghl/bridge => ../bridge
)
