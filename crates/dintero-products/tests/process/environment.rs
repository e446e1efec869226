//! `Client::from_env` against the process's own environment.

/// The variables are set for a child process (this test binary again, running only this test),
/// so that no other test's environment changes.
#[test]
fn from_env_reads_the_process_environment() {
    if std::env::var_os("DINTERO_FROM_ENV_CHILD").is_some() {
        let client = dintero_products::Client::from_env();
        let base_url = client.as_ref().map(dintero_products::Client::base_url);
        assert_eq!(base_url.ok(), Some("http://127.0.0.1:9/v1"), "{client:?}");
        return;
    }
    let this_binary = std::env::current_exe().unwrap_or_else(|e| panic!("the test binary: {e}"));
    let status = std::process::Command::new(this_binary)
        .args([
            "--exact",
            "environment::from_env_reads_the_process_environment",
        ])
        .env("DINTERO_FROM_ENV_CHILD", "1")
        .env("DINTERO_ACCOUNT_ID", "T12345678")
        .env("DINTERO_CLIENT_ID", "id")
        .env("DINTERO_CLIENT_SECRET", "secret")
        .env("DINTERO_BASE_URL", "http://127.0.0.1:9/v1")
        .env_remove("DINTERO_AUDIENCE")
        .env_remove("DINTERO_API_FACTS")
        .status();
    assert!(status.as_ref().is_ok_and(|s| s.success()), "{status:?}");
}
