"""Entry script of the web explorer (`ketasim app` runs it with Streamlit).

The pages live in ``ketasim/app/views``; each is a plain Streamlit script that also runs
alone (the tests drive each with ``streamlit.testing.v1.AppTest``).
"""

from pathlib import Path

import streamlit as st

from ketasim.app.ui import warm_up

st.set_page_config(page_title="ketasim explorer", layout="wide")
warm_up()  # once per server, in the background

_PAGES = Path(__file__).with_name("views")
_LIST = [("choices", "Choices", True), ("concentrations", "Concentrations", False),
         ("nmda", "NMDA block by site", False), ("windup", "Wind-up", False),
         ("pain", "Sensitization and pain", False), ("cortex", "The cortex", False),
         ("compare", "Side by side", False), ("trials", "Virtual trials", False)]
pages = [st.Page(str(_PAGES / f"{name}.py"), title=title, url_path=name, default=default)
         for name, title, default in _LIST if (_PAGES / f"{name}.py").is_file()]
st.navigation(pages).run()
