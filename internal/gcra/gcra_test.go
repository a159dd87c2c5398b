package gcra

import (
	"testing"
	"time"
)

func TestBurstThenInterval(t *testing.T) {
	t.Parallel()
	l := Limit{Interval: 100 * time.Millisecond, Burst: 3}
	var tat int64
	now := int64(time.Hour)
	for i := range 3 {
		if ok, _ := Allow(&tat, now, l); !ok {
			t.Fatalf("event %d of the burst refused", i+1)
		}
	}
	ok, retry := Allow(&tat, now, l)
	if ok || retry != 100*time.Millisecond {
		t.Fatalf("4th event at once: ok=%v retry=%v, want refused for 100ms", ok, retry)
	}
	if ok, _ := Peek(tat, now+int64(retry), l); !ok {
		t.Fatal("refused after the retry delay")
	}
	if ok, _ := Allow(&tat, now+int64(retry), l); !ok {
		t.Fatal("refused after the retry delay")
	}
	if ok, _ := Allow(&tat, now+int64(retry), l); ok {
		t.Fatal("two events admitted for one interval")
	}
}

func TestRateOverTime(t *testing.T) {
	t.Parallel()
	l := Limit{Interval: 10 * time.Millisecond, Burst: 5}
	var tat int64
	admitted := 0
	// 1000 attempts a millisecond apart: 5 of burst plus one per 10 ms.
	for i := range 1000 {
		if ok, _ := Allow(&tat, int64(i)*int64(time.Millisecond), l); ok {
			admitted++
		}
	}
	if admitted < 104 || admitted > 105 {
		t.Fatalf("admitted %d in 1s at 100/s burst 5, want 104 or 105", admitted)
	}
}

func TestIdleRefillsToBurstOnly(t *testing.T) {
	t.Parallel()
	l := Limit{Interval: time.Millisecond, Burst: 2}
	var tat int64
	now := int64(time.Hour)
	Allow(&tat, now, l)
	now += int64(time.Minute) // long idle: the bucket holds Burst, not more
	n := 0
	for {
		ok, _ := Allow(&tat, now, l)
		if !ok {
			break
		}
		n++
	}
	if n != 2 {
		t.Fatalf("after a long idle %d admitted at once, want the burst 2", n)
	}
}
