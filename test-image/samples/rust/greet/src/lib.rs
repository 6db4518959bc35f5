pub fn greet(who: &str) -> String {
    format!("hello from {who}")
}
