"""The GitHub Action's front door: context, file commands, the sticky PR comment, the run."""
