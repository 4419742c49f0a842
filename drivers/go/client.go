package main

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/openai/openai-go/v2"
	"github.com/openai/openai-go/v2/azure"
	"github.com/openai/openai-go/v2/option"
)

// The docs pass azidentity's DefaultAzureCredential to azure.WithTokenCredential; offline the driver passes
// fixedCredential instead. Both must satisfy the one interface that option takes, or the substitution would not be
// the documented call.
var (
	_ azcore.TokenCredential = (*azidentity.DefaultAzureCredential)(nil)
	_ azcore.TokenCredential = (*fixedCredential)(nil)
)

// fixedCredential always returns the request's token, an hour from expiry, and records the scopes it was asked for.
type fixedCredential struct {
	token  string
	mu     sync.Mutex
	scopes []string
}

func (c *fixedCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range opts.Scopes {
		seen := false
		for _, have := range c.scopes {
			seen = seen || have == s
		}
		if !seen {
			c.scopes = append(c.scopes, s)
		}
	}
	return azcore.AccessToken{Token: c.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (c *fixedCredential) asked() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string{}, c.scopes...)
}

// newClient builds a new client for one request, as the Go section builds it for the request's auth mode.
func newClient(req *request) (openai.Client, *fixedCredential, error) {
	var opts []option.RequestOption
	if req.Options.MaxRetries != nil {
		opts = append(opts, option.WithMaxRetries(*req.Options.MaxRetries))
	}
	if req.Options.TimeoutMs != nil {
		opts = append(opts, option.WithRequestTimeout(time.Duration(*req.Options.TimeoutMs)*time.Millisecond))
	}
	switch req.Auth {
	case "env":
		// openai.NewClient reads OPENAI_API_KEY / OPENAI_BASE_URL when it is built; put the environment back
		// afterwards so the next request's client sees only its own.
		restore := setEnv(req.Env)
		defer restore()
		return openai.NewClient(opts...), nil, nil
	case "key":
		if req.BaseURL == nil || req.APIKey == nil {
			return openai.Client{}, nil, errors.New("auth key needs base_url and api_key")
		}
		return openai.NewClient(append([]option.RequestOption{
			option.WithBaseURL(*req.BaseURL),
			option.WithAPIKey(*req.APIKey),
		}, opts...)...), nil, nil
	default: // entra
		if req.BaseURL == nil || req.Token == nil {
			return openai.Client{}, nil, errors.New("auth entra needs base_url and token")
		}
		cred := &fixedCredential{token: *req.Token}
		return openai.NewClient(append([]option.RequestOption{
			option.WithBaseURL(*req.BaseURL),
			azure.WithTokenCredential(cred),
		}, opts...)...), cred, nil
	}
}

func setEnv(env map[string]string) (restore func()) {
	type saved struct {
		value string
		had   bool
	}
	before := map[string]saved{}
	for k, v := range env {
		old, had := os.LookupEnv(k)
		before[k] = saved{old, had}
		os.Setenv(k, v)
	}
	return func() {
		for k, s := range before {
			if s.had {
				os.Setenv(k, s.value)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}
