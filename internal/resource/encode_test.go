package resource

import (
	"errors"
	"testing"
)

// A buffer whose write failed may still be held by an HTTP/2 server (the stream or connection
// closed mid-write): it must never carry the next response.
func TestEncodeDoesNotReuseABufferWhoseWriteFailed(t *testing.T) {
	for range 20 {
		var failed *byte
		err := Encode(map[string]string{"tenant": "a"}, func(data []byte) error {
			failed = &data[0]
			return errors.New("stream closed")
		})
		if err == nil {
			t.Fatal("the write's error was not returned")
		}
		if err := Encode(map[string]string{"tenant": "b"}, func(data []byte) error {
			if &data[0] == failed {
				t.Fatal("the next response was written into the buffer of the failed write")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}
