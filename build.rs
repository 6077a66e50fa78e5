//! Generates include/pode_ws.h from the C ABI with cbindgen, writing it only when it changed
//! (so the checked-in header's timestamp and git status stay quiet). The test script fails when
//! the checked-in header differs from what this generates.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate include/pode_ws.h");

    let mut header = Vec::new();
    bindings.write(&mut header);
    let path = crate_dir.join("include").join("pode_ws.h");
    if std::fs::read(&path).ok().as_deref() != Some(header.as_slice()) {
        std::fs::create_dir_all(path.parent().expect("include dir")).expect("create include/");
        std::fs::write(&path, header).expect("write include/pode_ws.h");
    }
}
