"""Python dependency manifests read with real parsers, never by running pip or a build."""
