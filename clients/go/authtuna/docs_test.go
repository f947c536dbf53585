package authtuna_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

const docsPath = "../../../docs/clients.md"

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// exampleBody is the body of func Example in example_test.go, without the
// expected output, indented by one tab as it is inside func main.
func exampleBody(t *testing.T) string {
	t.Helper()
	source, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	text := string(source)
	start := strings.Index(text, "func Example() {\n")
	end := strings.Index(text, "\t// Output:")
	if start < 0 || end < start {
		t.Fatal("example_test.go has no func Example with an // Output: section")
	}
	return text[start+len("func Example() {\n") : end]
}

func TestTheDocsShowTheExample(t *testing.T) {
	docs, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	body := exampleBody(t)
	for _, block := range goBlock.FindAllStringSubmatch(string(docs), -1) {
		if strings.Contains(block[1], "func main() {\n"+body+"}\n") {
			return
		}
	}
	t.Fatalf("no ```go block in %s has func main() with the body of Example (example_test.go):\n%s", docsPath, body)
}
