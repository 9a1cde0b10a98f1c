//! Serves `site/`: clean URLs (`/connexion` → `connexion.html`), directory indexes,
//! content types, the same security headers as the API.

use std::path::{Component, Path, PathBuf};

/// Resolves a URL path inside `root`, refusing anything that leaves it.
pub fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = crate::router::percent_decode(url_path);
    let rel = decoded.trim_start_matches('/');
    let rel_path = Path::new(rel);
    if rel_path
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    if rel_path
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    {
        return None;
    }
    let candidate = root.join(rel_path);
    let candidates = [
        candidate.clone(),
        candidate.join("index.html"),
        candidate.with_extension("html"),
    ];
    candidates.into_iter().find(|p| p.is_file())
}

pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "yaml" | "yml" => "application/yaml; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_leaves_the_root() {
        let root = std::env::temp_dir().join(format!("ep-static-{}", std::process::id()));
        std::fs::create_dir_all(root.join("aide")).unwrap();
        std::fs::write(root.join("index.html"), "i").unwrap();
        std::fs::write(root.join("connexion.html"), "c").unwrap();
        std::fs::write(root.join("aide/index.html"), "a").unwrap();
        std::fs::write(root.join(".secret"), "s").unwrap();
        assert_eq!(resolve(&root, "/"), Some(root.join("index.html")));
        assert_eq!(
            resolve(&root, "/connexion"),
            Some(root.join("connexion.html"))
        );
        assert_eq!(resolve(&root, "/aide/"), Some(root.join("aide/index.html")));
        assert_eq!(resolve(&root, "/../etc/passwd"), None);
        assert_eq!(resolve(&root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(&root, "/.secret"), None);
        assert_eq!(resolve(&root, "/absent"), None);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
