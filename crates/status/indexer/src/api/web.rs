//! The explorer's static files, served at `/` from the `web_root` directory when it is set.
//! The API's routes are matched first; a file is served only for a `GET` or `HEAD` no route
//! took (another method on such a path is a `405`). A path with no file extension that names no file gets `index.html` (the explorer is a
//! single-page app routing in the browser); any other miss is the API's typed `404`.

use super::{ApiError, ErrorCode};
use axum::{
    http::{header, HeaderValue, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use std::path::{Component, Path, PathBuf};

/// `app` with `root`'s files served for the `GET`s no route took: a catch-all route (not a
/// fallback, which the kit's server keeps for its JSON `404`), which the router matches only
/// after every static and parameter route.
pub(super) fn serve_files(app: Router, root: PathBuf) -> Router {
    let files = move |method: Method, uri: Uri| {
        let root = root.clone();
        async move { file_response(&root, &method, uri.path()).await }
    };
    app.route("/", get(files.clone()))
        .route("/{*path}", get(files))
}

/// The file under `root` that `path` names, refusing anything that leaves `root`.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let decoded = super::percent_decode(path.trim_start_matches('/'))?;
    let relative = Path::new(&decoded);
    if relative
        .components()
        .any(|part| !matches!(part, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// The `Content-Type` of a file, by its extension.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|ext| ext.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

async fn file_response(root: &Path, method: &Method, path: &str) -> Response {
    let not_found = || {
        ApiError::new(
            ErrorCode::NotFound,
            format!("nothing is served at {}", super::quoted(path)),
        )
        .into_response()
    };
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    let Some(mut file) = resolve(root, path) else {
        return not_found();
    };
    if path.ends_with('/') || tokio::fs::metadata(&file).await.is_ok_and(|m| m.is_dir()) {
        file = file.join("index.html");
    } else if file.extension().is_none() && !tokio::fs::try_exists(&file).await.unwrap_or(false) {
        file = root.join("index.html");
    }
    match tokio::fs::read(&file).await {
        Ok(body) => {
            let kind = HeaderValue::from_static(content_type(&file));
            let body = if method == Method::HEAD {
                Vec::new()
            } else {
                body
            };
            (StatusCode::OK, [(header::CONTENT_TYPE, kind)], body).into_response()
        }
        Err(_) => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_leave_the_root() {
        let root = Path::new("/srv/web");
        assert_eq!(
            resolve(root, "/assets/app.js"),
            Some(PathBuf::from("/srv/web/assets/app.js"))
        );
        assert_eq!(resolve(root, "/"), Some(PathBuf::from("/srv/web/")));
        for bad in ["/../etc/passwd", "/a/../../b", "/%2e%2e/x", "/%zz"] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }
}
