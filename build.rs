//! Generates the protobuf and gRPC code of `proto/` into OUT_DIR, plus one encoded file
//! descriptor set that feeds server reflection and the REST gateway.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    if std::env::var_os("PROTOC").is_none() {
        // A vendored protoc, so that a fresh machine needs no system package to build lkm.
        // SAFETY: build scripts are single-threaded.
        unsafe { std::env::set_var("PROTOC", protoc_bin_vendored::protoc_bin_path()?) };
    }
    let well_known = protoc_bin_vendored::include_path()?;

    let mut protos: Vec<PathBuf> = std::fs::read_dir("proto/lkm/v1")?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    protos.retain(|p| p.extension().is_some_and(|ext| ext == "proto"));
    protos.sort();
    // Error details travel in google.rpc.Status; the gateway renders them as JSON.
    protos.push("proto/google/rpc/error_details.proto".into());
    protos.push("proto/google/rpc/status.proto".into());

    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("lkm_descriptor.bin"))
        .include_file("lkm_protos.rs")
        .compile_protos(&protos, &[PathBuf::from("proto"), well_known])?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
