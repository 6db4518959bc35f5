package greet

// Greet says hello.
func Greet(who string) string { return "hello from " + who }
