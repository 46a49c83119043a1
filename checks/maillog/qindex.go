package maillog

import "hash/maphash"

// qindex finds a queued message's slot by its ID: an open-addressing
// hash table (linear probing, deletion by moving back the entries after)
// of slots, the keys in the records. Five lines in seven of a Postfix log
// look a queue ID up: a Go map of array keys cost three times as much.
// The hash is seeded, as a map's is: a log cannot be made to collide.
type qindex struct {
	seed  maphash.Seed
	cells []int32 // slot+1; 0 empty
	n     int
}

func newQindex() qindex {
	return qindex{seed: maphash.MakeSeed(), cells: make([]int32, 64)}
}

func (x *qindex) hash(id string) uint64 { return maphash.String(x.seed, id) }

// find returns the slot of key k (of hash h) and true, or the cell where
// it would go and false.
func (x *qindex) find(recs []queue, k *qkey, h uint64) (int, int32, bool) {
	mask := len(x.cells) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		c := x.cells[i]
		if c == 0 {
			return i, 0, false
		}
		if q := &recs[c-1]; q.hash == h && q.key == *k {
			return i, c - 1, true
		}
	}
}

// add puts slot s, of hash h, in cell i (find's answer), growing the
// table past half full.
func (x *qindex) add(recs []queue, i int, s int32, h uint64) {
	x.cells[i] = s + 1
	x.n++
	if 2*x.n > len(x.cells) {
		old := x.cells
		x.cells = make([]int32, 2*len(old))
		mask := len(x.cells) - 1
		for _, c := range old {
			if c != 0 {
				j := int(recs[c-1].hash) & mask
				for x.cells[j] != 0 {
					j = (j + 1) & mask
				}
				x.cells[j] = c
			}
		}
	}
}

// del removes slot s, of hash h: the entries after it that would not be
// found past the emptied cell move back into it.
func (x *qindex) del(recs []queue, s int32, h uint64) {
	mask := len(x.cells) - 1
	i := int(h) & mask
	for x.cells[i] != s+1 {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; x.cells[j] != 0; j = (j + 1) & mask {
		home := int(recs[x.cells[j]-1].hash) & mask
		// The entry at j stays unless its home is cyclically outside
		// (i, j]: then it can fill i.
		if i <= j && (home <= i || home > j) || i > j && home <= i && home > j {
			x.cells[i] = x.cells[j]
			i = j
		}
	}
	x.cells[i] = 0
	x.n--
}
