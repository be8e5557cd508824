package ghltest

import "math/rand/v2"

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// idLen is the length of HighLevel's (Firestore-style) identifiers.
const idLen = 20

// idGen draws HighLevel-style identifiers from a seeded generator, so a
// server built with the same seed hands out the same IDs in the same order.
// It is guarded by Server.mu.
type idGen struct {
	r *rand.Rand
}

func newIDGen(seed int64, stream uint64) *idGen {
	return &idGen{r: rand.New(rand.NewPCG(uint64(seed), stream))}
}

func (g *idGen) next() string {
	return g.nextN(idLen)
}

func (g *idGen) nextN(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = idAlphabet[g.r.IntN(len(idAlphabet))]
	}
	return string(b)
}
