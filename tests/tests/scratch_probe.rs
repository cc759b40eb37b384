#[test]
fn probe() {
    let dir = std::env::var("PROBE_DIR").unwrap();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let src = std::fs::read_to_string(&p).unwrap();
        let name = p.file_name().unwrap().to_str().unwrap();
        match link_codegen::check_toml(name, &src) {
            Ok(_) => println!("==== {name}: OK"),
            Err(e) => println!("==== {name}\n{}", e.rendered),
        }
    }
}
