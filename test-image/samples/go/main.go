// The sample's server (test-image/samples/README.md): go-getting-started NAME PORT, named bare in
// the Procfile as on Heroku. GET / -> "NAME PID", GET /exit/N -> exits N; INT/TERM: exit 0.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"example.com/greet"
)

func main() {
	name, port := os.Args[1], os.Args[2]
	for _, n := range strings.Split(os.Getenv("CFM_FAIL_AT_START"), ",") {
		if n == name {
			fmt.Printf("%s failing at start (CFM_FAIL_AT_START)\n", name)
			os.Exit(3)
		}
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGHUP)
	go func() {
		s := <-signals
		fmt.Printf("%s got %s\n", name, map[os.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM", syscall.SIGQUIT: "SIGQUIT", syscall.SIGHUP: "SIGHUP"}[s])
		os.Exit(0)
	}()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if code, ok := strings.CutPrefix(r.URL.Path, "/exit/"); ok {
			n, _ := strconv.Atoi(code)
			body := fmt.Sprintf("%s exits %d\n", name, n)
			w.Header().Set("Connection", "close")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			fmt.Fprint(w, body)
			w.(http.Flusher).Flush()
			fmt.Printf("%s exiting with status %d (GET /exit/%d)\n", name, n, n)
			os.Exit(n)
		}
		fmt.Fprintf(w, "%s %d\n", name, os.Getpid())
	})
	fmt.Printf("%s listening on 127.0.0.1:%s (%s)\n", name, port, greet.Greet("a replaced, vendored module"))
	if err := http.ListenAndServe("127.0.0.1:"+port, nil); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
