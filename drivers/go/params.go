package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
)

// paramsError is a request whose params the SDK's typed params cannot hold: a driver error, not the SDK's.
type paramsError struct{ msg string }

func (e *paramsError) Error() string { return e.msg }

// unmarshalParams fills the SDK's typed params from the request's JSON and says whether they hold it all.
//
// openai-go's params unmarshal without complaint yet drop what they cannot place: a union variant they cannot
// tell apart (a Responses input message without "type", which the API accepts) or, in v2.1.1, the json_schema of
// a chat response_format. Sending such params would send a different body from the call. So the driver marshals
// them back; where anything was lost, the caller sends the JSON as given through param.Override (the SDK's
// documented way to give a typed method raw JSON), and stderr names what the typed params lost.
func unmarshalParams(id json.RawMessage, raw json.RawMessage, into any, typeName string) (lossless bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return false, &paramsError{"request has no params"}
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return false, &paramsError{fmt.Sprintf("params do not unmarshal into %s: %v", typeName, err)}
	}
	back, err := json.Marshal(into)
	if err != nil {
		return false, &paramsError{fmt.Sprintf("%s does not marshal back: %v", typeName, err)}
	}
	var want, got any
	_ = json.Unmarshal(raw, &want)
	_ = json.Unmarshal(back, &got)
	if m, ok := want.(map[string]any); ok {
		delete(m, "stream") // NewStreaming sets it itself; the params types have no such field
	}
	lost := diff("", want, got, nil)
	if len(lost) == 0 {
		return true, nil
	}
	fmt.Fprintf(os.Stderr, "driver: request %s: %s lost %s on unmarshal; sent through param.Override instead\n",
		id, typeName, strings.Join(lost, ", "))
	return false, nil
}

// diff lists the paths where got differs from want.
func diff(path string, want, got any, out []string) []string {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := map[string]bool{}
		for k := range wm {
			keys[k] = true
		}
		for k := range gm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			out = diff(join(path, k), wm[k], gm[k], out)
		}
		return out
	}
	wl, wok := want.([]any)
	gl, gok := got.([]any)
	if wok && gok && len(wl) == len(gl) {
		for i := range wl {
			out = diff(fmt.Sprintf("%s[%d]", path, i), wl[i], gl[i], out)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		if path == "" {
			path = "(the body)"
		}
		out = append(out, path)
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
