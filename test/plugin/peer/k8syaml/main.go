// k8syaml reads a YAML (or JSON) stream on stdin the way Argo CD's cmp-server reads a plugin's
// output (gitops-engine kube.SplitYAMLToString, itself modelled on kubectl's resource visitor):
// apimachinery's YAMLOrJSONDecoder, one runtime.RawExtension per document, empty and null
// documents dropped. It prints a JSON array with one {"json": <document>} per document, or a last
// {"error": "<message>"} entry where decoding stops. Test oracle for test/plugin/yaml-meaning.test.ts.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/runtime"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
)

type entry struct {
	JSON  json.RawMessage `json:"json,omitempty"`
	Error string          `json:"error,omitempty"`
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	out := []entry{}
	d := kubeyaml.NewYAMLOrJSONDecoder(bytes.NewReader(in), 4096)
	for {
		var ext runtime.RawExtension
		if err := d.Decode(&ext); err != nil {
			if !errors.Is(err, io.EOF) {
				out = append(out, entry{Error: err.Error()})
			}
			break
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		out = append(out, entry{JSON: raw})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		os.Exit(2)
	}
}
