mod links;

fn main() {
    println!("{}", links::GRAPH.links.len());
}
