// Command kstatus prints the kstatus result (the status Flux's health checks use) of each
// Kubernetes object it reads.
//
// Input on stdin: one JSON object, a JSON array of objects, or a v1 List. Output on stdout: a
// JSON array with one {"name", "status", "message"} entry per object, in input order.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type result struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

// objects splits the input into raw objects; each is decoded by apimachinery itself, so numbers
// become int64 as they do when objects come from the API server.
func objects(data []byte) ([]json.RawMessage, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(data, &list); err == nil {
		return list, nil
	}
	var one struct {
		Kind  string            `json:"kind"`
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &one); err != nil {
		return nil, err
	}
	if one.Kind == "List" {
		return one.Items, nil
	}
	return []json.RawMessage{data}, nil
}

func main() {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus: reading stdin:", err)
		os.Exit(1)
	}
	objs, err := objects(data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kstatus: input is not a JSON object, array or List:", err)
		os.Exit(1)
	}
	results := make([]result, 0, len(objs))
	for _, raw := range objs {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			fmt.Fprintln(os.Stderr, "kstatus: not a Kubernetes object:", err)
			os.Exit(1)
		}
		res, err := status.Compute(u)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kstatus: %s/%s: %v\n", u.GetNamespace(), u.GetName(), err)
			os.Exit(1)
		}
		results = append(results, result{Name: u.GetName(), Status: res.Status.String(), Message: res.Message})
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	if err := out.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus: writing stdout:", err)
		os.Exit(1)
	}
}
