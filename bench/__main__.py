"""`make bench`: run every benchmark in turn."""
from bench import knowledge_bench

if __name__ == "__main__":
    knowledge_bench.main()
