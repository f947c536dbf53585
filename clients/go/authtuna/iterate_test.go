package authtuna

import (
	"errors"
	"io"
	"slices"
	"testing"
)

type batch struct{ items []string }

func (b batch) Items() []string { return b.items }

// fakeStream hands out batches, then err (io.EOF when nil), counting Recv calls.
type fakeStream struct {
	batches []batch
	err     error
	calls   int
}

func (f *fakeStream) Recv() (batch, error) {
	f.calls++
	if len(f.batches) == 0 {
		if f.err != nil {
			return batch{}, f.err
		}
		return batch{}, io.EOF
	}
	next := f.batches[0]
	f.batches = f.batches[1:]
	return next, nil
}

func collect(t *testing.T, stream *fakeStream) ([]string, error) {
	t.Helper()
	var items []string
	for item, err := range Flatten(stream.Recv, batch.Items) {
		if err != nil {
			return items, err
		}
		items = append(items, item)
	}
	return items, nil
}

func TestFlattenYieldsEveryItemInOrderAcrossBatches(t *testing.T) {
	stream := &fakeStream{batches: []batch{{[]string{"a", "b"}}, {}, {[]string{"c"}}}}
	items, err := collect(t, stream)
	if err != nil || !slices.Equal(items, []string{"a", "b", "c"}) {
		t.Fatalf("got %v, %v; want [a b c], nil", items, err)
	}
}

func TestFlattenOfAnEmptyStreamYieldsNothing(t *testing.T) {
	items, err := collect(t, &fakeStream{})
	if err != nil || len(items) != 0 {
		t.Fatalf("got %v, %v; want nothing", items, err)
	}
}

func TestFlattenYieldsAStreamErrorOnceAfterTheItemsBeforeIt(t *testing.T) {
	broken := errors.New("stream broke")
	stream := &fakeStream{batches: []batch{{[]string{"a"}}}, err: broken}
	var items []string
	var errs []error
	for item, err := range Flatten(stream.Recv, batch.Items) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items = append(items, item)
	}
	if !slices.Equal(items, []string{"a"}) || len(errs) != 1 || !errors.Is(errs[0], broken) {
		t.Fatalf("got items %v, errors %v; want [a] then the stream error once", items, errs)
	}
}

func TestFlattenStopsReceivingWhenTheLoopEndsEarly(t *testing.T) {
	stream := &fakeStream{batches: []batch{{[]string{"a", "b"}}, {[]string{"c"}}}}
	for item := range Flatten(stream.Recv, batch.Items) {
		if item == "a" {
			break
		}
	}
	if stream.calls != 1 {
		t.Fatalf("Recv called %d times after an early break, want 1", stream.calls)
	}
}
