"""Rendering: case documents (HTML, Markdown, PDF), the funders' report, and the activities that render them."""
