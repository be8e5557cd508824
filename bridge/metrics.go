package bridge

type metrics struct{}
