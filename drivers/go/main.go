// The Go driver of drivers/PROTOCOL.md: one documented call per request, made with openai-go exactly as the
// Go section of the documentation makes it, reported as one JSON line. It never judges; it reports.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

const sdkModule = "github.com/openai/openai-go"

type request struct {
	ID      json.RawMessage   `json:"id"`
	Call    string            `json:"call"`
	Stream  bool              `json:"stream"`
	Auth    string            `json:"auth"`
	Client  string            `json:"client"`
	BaseURL *string           `json:"base_url"`
	APIKey  *string           `json:"api_key"`
	Token   *string           `json:"token"`
	Scope   *string           `json:"scope"`
	Env     map[string]string `json:"env"`
	Params  json.RawMessage   `json:"params"`
	Options struct {
		MaxRetries *int `json:"max_retries"`
		TimeoutMs  *int `json:"timeout_ms"`
	} `json:"options"`
	DeadlineMs int      `json:"deadline_ms"`
	Accessors  []string `json:"accessors"`
}

type errorInfo struct {
	Class     string  `json:"class"`
	Status    *int    `json:"status"`
	Code      *string `json:"code"`
	Type      *string `json:"type"`
	Message   string  `json:"message"`
	RequestID *string `json:"request_id"`
}

type event struct {
	Type   *string         `json:"type,omitempty"`
	Object *string         `json:"object,omitempty"`
	JSON   json.RawMessage `json:"json"`
}

type result struct {
	ID               json.RawMessage `json:"id"`
	OK               bool            `json:"ok"`
	ElapsedMs        float64         `json:"elapsed_ms"`
	Status           *int            `json:"status"`
	RequestID        *string         `json:"request_id"`
	Accessors        map[string]any  `json:"accessors"`
	Missing          []string        `json:"missing,omitempty"`
	Parsed           json.RawMessage `json:"parsed"`
	Events           *[]event        `json:"events,omitempty"` // streams only: [] when none came
	Text             *string         `json:"text,omitempty"`
	Strict           any             `json:"strict"` // openai-go has no strict parse: always null
	CredentialScopes []string        `json:"credential_scopes"`
	Error            *errorInfo      `json:"error"`
	Watchdog         bool            `json:"watchdog"`
}

// versions reads the SDK's and azcore's versions from the build itself, so a matrix build reports what it linked.
func versions() (sdk, identity string) {
	sdk, identity = "unknown", "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	var parts []string
	for _, dep := range info.Deps {
		if dep.Replace != nil {
			dep = dep.Replace
		}
		switch {
		case dep.Path == sdkModule || strings.HasPrefix(dep.Path, sdkModule+"/v"):
			sdk = dep.Version
		case dep.Path == "github.com/Azure/azure-sdk-for-go/sdk/azidentity":
			parts = append([]string{"azidentity " + dep.Version}, parts...)
		case dep.Path == "github.com/Azure/azure-sdk-for-go/sdk/azcore":
			parts = append(parts, "azcore "+dep.Version)
		}
	}
	if len(parts) > 0 {
		identity = strings.Join(parts, ", ")
	}
	return
}

func main() {
	out := bufio.NewWriter(os.Stdout)
	emit := func(v any) {
		line, err := json.Marshal(v)
		if err != nil {
			line, _ = json.Marshal(map[string]any{"ok": false, "error": errorInfo{Class: "DriverError", Message: err.Error()}})
		}
		out.Write(line)
		out.WriteByte('\n')
		out.Flush()
	}
	sdk, identity := versions()
	emit(map[string]any{"hello": map[string]string{
		"sdk": "openai-go", "version": sdk, "runtime": runtime.Version(), "identity": identity,
	}})

	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			emit(handle(line))
		}
		if err != nil {
			return // EOF (or a broken stdin): exit 0
		}
	}
}

// handle turns one request line into one result, whatever the line holds.
func handle(line []byte) (res *result) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		var id struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(line, &id)
		return driverError(id.ID, "DriverError", "request is not a JSON object of drivers/PROTOCOL.md: "+err.Error())
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "driver: panic on request %s: %v\n%s", req.ID, p, debug.Stack())
			res = driverError(req.ID, "DriverError", fmt.Sprintf("panic: %v", p))
		}
	}()
	if req.Client != "" && req.Client != "sync" {
		return driverError(req.ID, "Unsupported", "openai-go has a sync client only, not "+req.Client)
	}
	switch req.Call {
	case "chat.completions.create", "responses.create", "embeddings.create":
	default:
		return driverError(req.ID, "DriverError", fmt.Sprintf("unknown call %q", req.Call))
	}
	switch req.Auth {
	case "key", "entra", "env":
	default:
		return driverError(req.ID, "DriverError", fmt.Sprintf("unknown auth %q", req.Auth))
	}
	return run(&req)
}

func driverError(id json.RawMessage, class, message string) *result {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	return &result{ID: id, OK: false, Error: &errorInfo{Class: class, Message: message}, Accessors: map[string]any{}}
}
