package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v2"
	"github.com/openai/openai-go/v2/option"
	"github.com/openai/openai-go/v2/packages/param"
	"github.com/openai/openai-go/v2/responses"
)

// defaultDeadline bounds a request that names no deadline_ms: a driver must never hang the harness.
const defaultDeadline = 10 * time.Minute

// outcome is what one call gave back, before it becomes a result.
type outcome struct {
	httpResp  *http.Response
	accessors map[string]any
	missing   []string
	parsed    json.RawMessage
	events    []event
	text      *string
	err       error
}

// streamed holds a stream's events as they arrive, so that a result the watchdog ends still shows what came first.
type streamed struct {
	mu       sync.Mutex
	httpResp *http.Response
	events   []event
	text     string
}

func (s *streamed) started(resp *http.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpResp = resp
}

func (s *streamed) add(e event, delta string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	s.text += delta
}

// into copies what arrived so far into out.
func (s *streamed) into(out *outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out.events = append([]event{}, s.events...)
	text := s.text
	out.text = &text
	if out.httpResp == nil {
		out.httpResp = s.httpResp
	}
}

// accessor reads one documented value through the SDK's typed API; ok is false where the SDK cannot answer.
type accessor func(name string) (value any, ok bool)

func run(req *request) *result {
	client, cred, err := newClient(req)
	if err != nil {
		return driverError(req.ID, "DriverError", err.Error())
	}
	deadline := defaultDeadline
	if req.DeadlineMs > 0 {
		deadline = time.Duration(req.DeadlineMs) * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()

	// The call runs on its own goroutine: openai-go sleeps out a retry-after with time.Sleep, which no context
	// interrupts, so only a select on the deadline turns a stuck call into a result. A call left behind ends on
	// its own: its next attempt sees the cancelled context and sends nothing.
	done := make(chan *outcome, 1)
	live := &streamed{}
	start := time.Now()
	go func() {
		defer func() {
			if p := recover(); p != nil {
				fmt.Fprintf(os.Stderr, "driver: panic in call %s: %v\n%s", req.ID, p, debug.Stack())
				done <- &outcome{err: fmt.Errorf("driver panic: %v", p)}
			}
		}()
		done <- call(ctx, &client, req, live)
	}()
	var out *outcome
	select {
	case out = <-done:
	case <-ctx.Done():
		select {
		case out = <-done: // finished at the same instant: its own answer wins
		default:
			out = &outcome{err: ctx.Err()}
			if req.Stream {
				live.into(out)
			}
		}
	}
	elapsed := time.Since(start)

	res := &result{ID: req.ID, Accessors: out.accessors, Missing: out.missing, Parsed: out.parsed, Text: out.text}
	res.ElapsedMs = float64(elapsed.Microseconds()) / 1000
	if res.Accessors == nil {
		res.Accessors = map[string]any{}
	}
	if req.Stream {
		events := out.events
		if events == nil {
			events = []event{}
		}
		res.Events = &events
	}
	if cred != nil {
		res.CredentialScopes = cred.asked()
	}
	if out.httpResp != nil {
		res.Status = &out.httpResp.StatusCode
		res.RequestID = header(out.httpResp, "x-request-id")
	}
	res.Watchdog = ctx.Err() != nil && errors.Is(out.err, context.DeadlineExceeded)
	if out.err != nil {
		res.Error = describe(out.err, out.httpResp)
		if res.Watchdog {
			res.Error.Class = "Watchdog" // as every driver names it; the message keeps the SDK's own error
			res.Error.Message = fmt.Sprintf("no result within deadline_ms=%d: %s", req.DeadlineMs, res.Error.Message)
		}
		if res.Error.Status != nil {
			res.Status = res.Error.Status
		}
		if res.Error.RequestID != nil {
			res.RequestID = res.Error.RequestID
		}
	} else {
		res.OK = true
	}
	return res
}

func header(resp *http.Response, name string) *string {
	if resp == nil || resp.Header == nil {
		return nil
	}
	if v := resp.Header.Get(name); v != "" {
		return &v
	}
	return nil
}

// describe reads an error through openai-go's documented accessors: *openai.Error's StatusCode, Code, Type,
// Message and its response's x-request-id. Any other error (a connection failure, a decode error, the watchdog's
// context) is named by its Go type.
func describe(err error, resp *http.Response) *errorInfo {
	info := &errorInfo{Message: err.Error()}
	var bad *paramsError
	if errors.As(err, &bad) {
		info.Class = "DriverError"
		return info
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		info.Class = "Error"
		status := apiErr.StatusCode
		info.Status = &status
		if apiErr.JSON.Code.Valid() {
			info.Code = &apiErr.Code
		}
		if apiErr.JSON.Type.Valid() {
			info.Type = &apiErr.Type
		}
		if apiErr.JSON.Message.Valid() {
			info.Message = apiErr.Message
		}
		info.RequestID = header(apiErr.Response, "x-request-id")
		return info
	}
	info.Class = strings.TrimPrefix(fmt.Sprintf("%T", err), "*")
	if resp != nil {
		info.RequestID = header(resp, "x-request-id")
	}
	return info
}

func call(ctx context.Context, client *openai.Client, req *request, live *streamed) *outcome {
	out := &outcome{}
	into := option.WithResponseInto(&out.httpResp)
	switch req.Call {
	case "chat.completions.create":
		var p openai.ChatCompletionNewParams
		whole, err := unmarshalParams(req.ID, req.Params, &p, "openai.ChatCompletionNewParams")
		if err != nil {
			return &outcome{err: err}
		}
		if !whole {
			p = param.Override[openai.ChatCompletionNewParams](req.Params)
		}
		if req.Stream {
			stream := client.Chat.Completions.NewStreaming(ctx, p, into)
			defer stream.Close()
			live.started(out.httpResp)
			for stream.Next() {
				chunk := stream.Current()
				object, delta := string(chunk.Object), ""
				if len(chunk.Choices) > 0 {
					delta = chunk.Choices[0].Delta.Content
				}
				live.add(event{Object: &object, JSON: marshal(chunk)}, delta)
			}
			out.err = stream.Err()
			live.into(out)
			return out
		}
		resp, err := client.Chat.Completions.New(ctx, p, into)
		if out.err = err; err == nil {
			out.parsed = marshal(resp)
			out.read(req.Accessors, chatAccessor(resp))
		}
	case "responses.create":
		var p responses.ResponseNewParams
		whole, err := unmarshalParams(req.ID, req.Params, &p, "responses.ResponseNewParams")
		if err != nil {
			return &outcome{err: err}
		}
		if !whole {
			p = param.Override[responses.ResponseNewParams](req.Params)
		}
		if req.Stream {
			stream := client.Responses.NewStreaming(ctx, p, into)
			defer stream.Close()
			live.started(out.httpResp)
			for stream.Next() {
				ev := stream.Current()
				kind, delta := ev.Type, ""
				if ev.Type == "response.output_text.delta" {
					delta = ev.Delta
				}
				live.add(event{Type: &kind, JSON: marshal(ev)}, delta)
			}
			out.err = stream.Err()
			live.into(out)
			return out
		}
		resp, err := client.Responses.New(ctx, p, into)
		if out.err = err; err == nil {
			out.parsed = marshal(resp)
			out.read(req.Accessors, responseAccessor(resp))
		}
	case "embeddings.create":
		var p openai.EmbeddingNewParams
		whole, err := unmarshalParams(req.ID, req.Params, &p, "openai.EmbeddingNewParams")
		if err != nil {
			return &outcome{err: err}
		}
		if !whole {
			p = param.Override[openai.EmbeddingNewParams](req.Params)
		}
		if req.Stream {
			return &outcome{err: errors.New("embeddings have no streaming method")}
		}
		resp, err := client.Embeddings.New(ctx, p, into)
		if out.err = err; err == nil {
			out.parsed = marshal(resp)
			out.read(req.Accessors, embeddingAccessor(resp))
		}
	}
	return out
}

func marshal(v any) json.RawMessage {
	data, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "driver: json.Marshal of %T failed: %v\n", v, err)
		return json.RawMessage("null")
	}
	return data
}

func (o *outcome) read(names []string, get accessor) {
	o.accessors = map[string]any{}
	for _, name := range names {
		value, ok := safeGet(get, name)
		if !ok {
			o.accessors[name] = nil
			o.missing = append(o.missing, name)
			continue
		}
		o.accessors[name] = value
	}
}

// safeGet turns an index out of range (no choices, no data) into "the SDK cannot answer".
func safeGet(get accessor, name string) (value any, ok bool) {
	defer func() {
		if recover() != nil {
			value, ok = nil, false
		}
	}()
	return get(name)
}

func chatAccessor(r *openai.ChatCompletion) accessor {
	return func(name string) (any, bool) {
		switch name {
		case "id":
			return r.ID, true
		case "model":
			return r.Model, true
		case "object":
			return string(r.Object), true
		case "message_content":
			return r.Choices[0].Message.Content, true
		case "finish_reason":
			return r.Choices[0].FinishReason, true
		case "usage.prompt_tokens":
			return r.Usage.PromptTokens, true
		case "usage.completion_tokens":
			return r.Usage.CompletionTokens, true
		case "usage.total_tokens":
			return r.Usage.TotalTokens, true
		}
		return nil, false
	}
}

func responseAccessor(r *responses.Response) accessor {
	return func(name string) (any, bool) {
		switch name {
		case "id":
			return r.ID, true
		case "model":
			return string(r.Model), true
		case "object":
			return string(r.Object), true
		case "status":
			return string(r.Status), true
		case "output_text":
			return r.OutputText(), true
		case "usage.input_tokens":
			return r.Usage.InputTokens, true
		case "usage.output_tokens":
			return r.Usage.OutputTokens, true
		case "usage.total_tokens":
			return r.Usage.TotalTokens, true
		}
		return nil, false
	}
}

func embeddingAccessor(r *openai.CreateEmbeddingResponse) accessor {
	return func(name string) (any, bool) {
		switch name {
		case "model":
			return r.Model, true
		case "object":
			return string(r.Object), true
		case "usage.prompt_tokens":
			return r.Usage.PromptTokens, true
		case "usage.total_tokens":
			return r.Usage.TotalTokens, true
		case "embedding_count":
			return len(r.Data), true
		case "embedding_dims":
			return len(r.Data[0].Embedding), true
		case "embedding_first":
			first := r.Data[0].Embedding
			return first[:min(10, len(first))], true
		}
		return nil, false // "id": an embeddings answer has none in openai-go's type
	}
}
