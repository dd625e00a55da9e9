"""The dosing session: plan, run (clock, phases, music, vitals, events), discharge, summary.

``host.open_session(window, session_id)`` shows a session full-window; the main window calls
``host.resume_running_session`` after each unlock. ``controller.SessionController`` owns the
runner, the timers and the music and outlives the widgets across a lock.
"""
