"""A deliberately vulnerable sample module for the secure-gate demo."""

import sqlite3
import subprocess


def find_user(conn: sqlite3.Connection, name: str) -> list:
    # String-built SQL: bandit B608.
    query = "SELECT * FROM users WHERE name = '%s'" % name
    return conn.execute(query).fetchall()


def archive(path: str) -> None:
    # A shell with user input: bandit B602.
    subprocess.call("tar czf backup.tgz " + path, shell=True)
