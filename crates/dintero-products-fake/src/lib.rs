//! The fake Dintero server (work in progress).
