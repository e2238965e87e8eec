#!/usr/bin/env python3
"""Record MediaPipe Pose (0.10.14, legacy mp.solutions.pose) reference landmarks for fixtures/cases.json.

Writes fixtures/reference/mediapipe-0.10.14.json and prints a cross-check of the reference landmarks
(nose 0, ears 7/8, shoulders 11/12) against the hand-drawn boxes in cases.json.
Run through tools/reference/record.sh, which sets up the pinned venv and the lite model.

Frames are decoded with the ffmpeg CLI to raw rgb24 (frame index = decoded frame number from 0);
stills are read with Pillow (EXIF orientation applied, greyscale converted to RGB).
"""
import hashlib
import json
import os
import re
import subprocess
import sys

import cv2
import mediapipe as mp
import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "fixtures")
OUT = os.path.join(FIXTURES, "reference", "mediapipe-0.10.14.json")
MODELS = {"lite": 0, "full": 1}
CHECK = {"nose": 0, "left_ear": 7, "right_ear": 8, "left_shoulder": 11, "right_shoulder": 12}


def video_size(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
         "-of", "csv=p=0", path], check=True, capture_output=True, text=True).stdout
    w, h = out.strip().split(",")[:2]
    return int(w), int(h)


def video_frame(path, index):
    w, h = video_size(path)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-vf", f"select=eq(n\\,{index})",
         "-vsync", "0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True).stdout
    if len(raw) != w * h * 3:
        raise RuntimeError(f"{path} frame {index}: got {len(raw)} bytes, want {w * h * 3}")
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3)


def still(path):
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def load(case):
    path = os.path.join(FIXTURES, case["file"])
    return still(path) if case["frame"] is None else video_frame(path, case["frame"])


def r(v, n):
    return round(float(v), n)


def run_pose(pose, rgb, crop):
    x0, y0 = (crop[0], crop[1]) if crop else (0, 0)
    img = rgb[crop[1]:crop[3], crop[0]:crop[2]] if crop else rgb
    ch, cw = img.shape[:2]
    res = pose.process(np.ascontiguousarray(img))
    if res.pose_landmarks is None:
        return None
    lms = [[r(l.x * cw + x0, 3), r(l.y * ch + y0, 3), r(l.z * cw, 3), r(l.visibility, 6), r(l.presence, 6)]
           for l in res.pose_landmarks.landmark]
    world = [[r(l.x, 6), r(l.y, 6), r(l.z, 6)] for l in res.pose_world_landmarks.landmark]
    return {"landmarks": lms, "world_landmarks": world}


def inside(pt, box):
    return box[0] <= pt[0] <= box[2] and box[1] <= pt[1] <= box[3]


def cross_check(cases, results):
    by_id = {c["id"]: c for c in cases}
    n_in = n_out = 0
    for res in results:
        case = by_id[res["case"]]
        tag = f'{res["case"]:<14} {res["model"]:<4}'
        if res["pose"] is None:
            ok = not case.get("expect_pose", True)
            print(f"{tag} no pose{'' if ok else '  <-- EXPECTED A POSE'}")
            continue
        if not case.get("expect_pose", True):
            print(f"{tag} pose found  <-- EXPECTED NONE")
            continue
        lm = res["pose"]["landmarks"]
        notes = []
        for part, idx in CHECK.items():
            box = case["boxes"].get(part)
            p = lm[idx]
            if box is None:
                head = case.get("head_box")
                if head is not None and part in ("nose", "left_ear", "right_ear") and not inside(p, head):
                    notes.append(f"{part} ({p[0]:.0f},{p[1]:.0f}) outside head_box")
                continue
            if inside(p, box):
                n_in += 1
            else:
                n_out += 1
                dx = max(box[0] - p[0], 0, p[0] - box[2])
                dy = max(box[1] - p[1], 0, p[1] - box[3])
                notes.append(f"{part} ({p[0]:.0f},{p[1]:.0f}) off by ({dx:.1f},{dy:.1f}) px vis={p[3]:.2f}")
        print(f"{tag} " + ("all inside" if not notes else "; ".join(notes)))
    print(f"boxed landmarks inside: {n_in}, outside: {n_out}")


def main():
    cases = json.load(open(os.path.join(FIXTURES, "cases.json")))
    lite = os.path.join(os.path.dirname(mp.__file__), "modules", "pose_landmark", "pose_landmark_lite.tflite")
    settings = {
        "api": "mediapipe.solutions.pose.Pose",
        "static_image_mode": True, "smooth_landmarks": False, "enable_segmentation": False,
        "min_detection_confidence": 0.5, "model_complexity": MODELS,
        "lite_model": "pose_landmark_lite.tflite from npm @mediapipe/pose 0.5.1675469404, sha256 "
                      + hashlib.sha256(open(lite, "rb").read()).hexdigest(),
        "decode": "videos: ffmpeg CLI, select=eq(n,frame), rawvideo rgb24; stills: Pillow, EXIF transpose, RGB",
        "ffmpeg": subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0],
        "numpy": np.__version__, "opencv": cv2.__version__, "python": sys.version.split()[0],
        "units": "landmarks: [x_px, y_px, z, visibility, presence] in full-frame pixels (z scaled by the crop "
                 "width, as x); visibility as MediaPipe reports it (after sigmoid); presence is not filled in by "
                 "the 0.10.14 Python solution and reads 0; "
                 "world_landmarks: [x, y, z] metres, hip-centred",
    }
    frames = {c["id"]: load(c) for c in cases}
    results = []
    for model, complexity in MODELS.items():
        with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=complexity, smooth_landmarks=False,
                                    enable_segmentation=False, min_detection_confidence=0.5) as pose:
            for c in cases:
                rgb = frames[c["id"]]
                results.append({"case": c["id"], "model": model, "image_size": [rgb.shape[1], rgb.shape[0]],
                                "crop": c["crop"], "pose": run_pose(pose, rgb, c["crop"])})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    doc = {"mediapipe_version": mp.__version__, "settings": settings, "results": results}
    text = json.dumps(doc, indent=1)
    # one landmark per line: collapse the innermost numeric lists
    text = re.sub(r"\[\s*([-0-9.eE,\s]+?)\s*\]",
                  lambda m: "[" + ",".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    assert json.loads(text) == doc
    with open(OUT, "w") as f:
        f.write(text + "\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)}: {len(results)} results")
    cross_check(cases, results)


if __name__ == "__main__":
    main()
